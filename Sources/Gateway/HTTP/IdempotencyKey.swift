import Hummingbird

extension Request {
    /// The longest `Idempotency-Key` accepted (Stripe's limit; a UUID or a batch id fits).
    static let maxIdempotencyKeyLength = 255

    /// The client's `Idempotency-Key`, or nil without one. An empty key would make every
    /// keyless-looking retry of the tenant the same request, so it is a 400 like any other
    /// value outside the documented shape.
    func idempotencyKey() throws -> String? {
        guard let key = headers[.init("Idempotency-Key")!] else { return nil }
        guard !key.isEmpty, key.utf8.count <= Self.maxIdempotencyKeyLength else {
            throw APIError.invalid(
                "Idempotency-Key must be 1 to \(Self.maxIdempotencyKeyLength) bytes", param: "Idempotency-Key")
        }
        return key
    }
}
