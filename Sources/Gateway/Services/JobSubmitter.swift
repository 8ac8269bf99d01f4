import Contracts
import Crypto
import Foundation
import Logging
import Messaging
import Storage

/// Submits a job for a client: a `queued` row first, then the confirmed publish. If the
/// broker does not confirm, the row is removed and the client gets a 503 — an accepted
/// (202) job is always on the broker.
struct JobSubmitter: Sendable {
    let jobs: JobRepository
    let publisher: Publisher
    let topology: Topology

    /// - Parameter idempotencyKey: the client's `Idempotency-Key`; the same key (per
    ///   tenant) returns the job it first created instead of submitting another.
    /// - Returns: the job id.
    func submit<Payload: JobPayload>(
        _ payload: Payload, tenantID: String, userID: String?, idempotencyKey: String?, logger: Logger
    ) async throws -> String {
        let id = idempotencyKey.map { Self.jobID(tenantID: tenantID, idempotencyKey: $0) } ?? UUID().uuidString.lowercased()
        let envelope = JobEnvelope(id: id, tenantID: tenantID, payload: payload)
        do {
            try envelope.validate()
        } catch let error as ContractError {
            throw APIError.invalid(error.description)
        }
        let message = try OutgoingMessage.job(envelope, topology: topology)
        guard try await jobs.insert(id: id, tenantID: tenantID, type: envelope.typeName, userID: userID, logger: logger) else {
            return id  // submitted before under this idempotency key
        }
        do {
            try await publisher.publish(message)
        } catch {
            logger.warning("job publish not confirmed; refused", metadata: ["job.id": "\(id)", "error": "\(error)"])
            try? await jobs.discard(id: id, tenantID: tenantID, logger: logger)
            throw APIError.unavailable("the job queue is unavailable; nothing was accepted, retry later", code: "broker_unavailable", retryAfter: 5)
        }
        return id
    }

    /// A deterministic id per (tenant, key), so two tenants' keys never collide.
    static func jobID(tenantID: String, idempotencyKey: String) -> String {
        let digest = SHA256.hash(data: Data("\(tenantID)\u{0}\(idempotencyKey)".utf8))
        return "idem-" + digest.prefix(16).hexString
    }
}
