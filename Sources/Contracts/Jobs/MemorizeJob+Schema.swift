extension MemorizeJob {
    public static var schema: JSONSchema {
        let message = JSONSchema.object(
            [
                "role": .string(oneOf: Message.Role.allCases.map(\.rawValue)),
                "content": .string(),
                "created_at": JSONSchema.timestamp().nullable(),
                "name": JSONSchema.string().nullable().described("The speaker, for conversations with several people."),
                "id": JSONSchema.string(minLength: 1, maxLength: 256).nullable()
                    .described("The client's message id (1-256 printable characters, unique in the job); absent = derived from the job id and position."),
            ],
            required: ["role", "content"])
        return .object(
            [
                "user_id": .identifier(),
                "agent_id": JSONSchema.identifier().nullable()
                    .described("Scopes the memories to one agent; absent = shared by the user's agents."),
                "messages": .array(of: message, minItems: 1),
                "resource_id": JSONSchema.identifier().nullable()
                    .described("The stored conversation or document these messages come from."),
                "occurred_at": JSONSchema.timestamp().nullable()
                    .described("When the conversation happened; absent = when processed."),
                "time_zone": JSONSchema.identifier("The user's IANA time zone, e.g. Asia/Shanghai; absent = UTC.").nullable(),
            ],
            required: ["user_id", "messages"])
    }
}
