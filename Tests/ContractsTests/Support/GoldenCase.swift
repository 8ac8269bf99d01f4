import Contracts
import Foundation
import Testing

/// One wire sample, its golden file (`Golden/<name>.json`) and the schema it must satisfy.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// Key in `WireSchemas.all()`.
    let schemaName: String
    /// The generic envelope schema it must also satisfy (`envelope`, `event_envelope`).
    let envelopeSchemaName: String
    /// Full samples set every optional field, so every schema property is exercised.
    let isFull: Bool
    let encode: @Sendable () throws -> Data
    /// Decodes bytes as this case's type; true when they equal the sample.
    let decodesToSample: @Sendable (Data) throws -> Bool

    var testDescription: String { name }

    init<Payload: JobPayload>(_ name: String, full: Bool = true, _ sample: JobEnvelope<Payload>) {
        self.init(name, schema: Payload.type.description, envelope: "envelope", full: full, sample)
    }

    init<Payload: EventPayload>(_ name: String, full: Bool = true, _ sample: EventEnvelope<Payload>) {
        self.init(name, schema: Payload.type.description, envelope: "event_envelope", full: full, sample)
    }

    private init<T: Codable & Equatable & Sendable>(
        _ name: String, schema: String, envelope: String, full: Bool, _ sample: T
    ) {
        self.name = name
        self.schemaName = schema
        self.envelopeSchemaName = envelope
        self.isFull = full
        self.encode = { try WireJSON.encoder().encode(sample) }
        self.decodesToSample = { try WireJSON.decoder().decode(T.self, from: $0) == sample }
    }

    static let all: [GoldenCase] = [
        GoldenCase("embed.v1", Samples.embed),
        GoldenCase("memorize.v1", Samples.memorize),
        GoldenCase("memorize.v1.minimal", full: false, Samples.memorizeMinimal),
        GoldenCase("job.completed.v1", Samples.jobCompleted),
        GoldenCase("job.dead_lettered.v1", Samples.jobDeadLettered),
        GoldenCase("embedding.completed.v1", Samples.embeddingCompleted),
        GoldenCase("memory.created.v1", Samples.memoryCreated),
        GoldenCase("memory.created.v1.minimal", full: false, Samples.memoryCreatedMinimal),
        GoldenCase("memory.updated.v1", Samples.memoryUpdated),
        GoldenCase("memory.superseded.v1", Samples.memorySuperseded),
        GoldenCase("memory.deleted.v1", Samples.memoryDeleted),
        GoldenCase("user.erased.v1", Samples.userErased),
        GoldenCase("budget.alert.v1", Samples.budgetAlert),
        GoldenCase("summarize.v1", Samples.summarize),
        GoldenCase("webhook.v1", Samples.webhook),
        GoldenCase("consolidate.v1", Samples.consolidate),
        GoldenCase("proactive.reminder.v1", Samples.proactiveReminder),
    ]

    var schema: JSONSchema { WireSchemas.schema(named: schemaName) }
    var envelopeSchema: JSONSchema { WireSchemas.schema(named: envelopeSchemaName) }
}

extension WireSchemas {
    static func schema(named name: String) -> JSONSchema {
        guard let entry = all().first(where: { $0.name == name }) else { fatalError("no schema \(name)") }
        return entry.schema
    }
}
