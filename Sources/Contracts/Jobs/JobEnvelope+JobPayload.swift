public import Foundation

extension JobEnvelope where Payload: JobPayload {
    /// AMQP `message_id` is a short string: at most 255 bytes.
    public static var maxIDLength: Int { 255 }

    /// An envelope for a known payload: kind and version come from the payload type.
    public init(
        id: String,
        tenantID: String,
        attempt: Int = 1,
        createdAt: Date = Date(),
        trace: TraceContext? = TraceContext.current,
        payload: Payload
    ) {
        self.init(
            id: id, type: Payload.type, tenantID: tenantID, attempt: attempt,
            createdAt: createdAt, trace: trace, payload: payload)
    }

    /// Checks the envelope (id fits `message_id`, tenant set, kind and version match the
    /// payload type, attempt ≥ 1), then the payload's own rules. Throws `ContractError`
    /// with the field path from the envelope root, e.g. `payload.items[0].text`.
    public func validate() throws {
        try ContractError.check(!id.isEmpty, "id", "must not be empty")
        try ContractError.check(id.utf8.count <= Self.maxIDLength, "id", "must be at most \(Self.maxIDLength) bytes")
        try ContractError.check(!tenantID.isEmpty, "tenant_id", "must not be empty")
        try ContractError.check(
            kind == Payload.type.kind && version == Payload.type.version,
            "kind", "is \(typeName) but the payload is \(Payload.type)")
        try ContractError.check(attempt >= 1, "attempt", "must be at least 1")
        try ContractError.within("payload") { try payload.validate() }
    }
}
