extension EmbedJob {
    public static var schema: JSONSchema {
        let target = JSONSchema.object(
            [
                "kind": .string(oneOf: Target.Kind.allCases.map(\.rawValue)),
                "id": .identifier("Id of the memory item or of the integration's document."),
            ],
            required: ["kind", "id"])
        let item = JSONSchema.object(
            [
                "target": target,
                "text": .string(minLength: 1),
                "metadata": JSONSchema.map(values: .string()).nullable()
                    .described("Stored with a document's vector; string values only."),
            ],
            required: ["target", "text"])
        return .object(
            [
                "space": JSONSchema.identifier().nullable()
                    .described("Embedding space id; absent or null = the default space."),
                "items": .array(
                    of: item, minItems: 1, maxItems: maxItems,
                    description: "Each target at most once per job."),
            ],
            required: ["items"])
    }
}
