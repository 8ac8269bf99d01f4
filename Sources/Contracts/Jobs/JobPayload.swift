/// A job's payload: the `payload` field of a `JobEnvelope`. Each payload type is one
/// `JobType` (kind + version); a breaking change is a new type, e.g. `EmbedJobV2`.
public protocol JobPayload: Codable, Hashable, Sendable {
    /// The kind and version this payload travels under.
    static var type: JobType { get }
    /// JSON Schema (draft 2020-12) of the payload object; `WireSchemas` wraps it in the envelope.
    static var schema: JSONSchema { get }
    /// Checks the business rules the type system cannot; throws `ContractError`.
    func validate() throws
}
