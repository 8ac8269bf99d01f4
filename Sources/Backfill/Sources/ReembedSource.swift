import Contracts
import Foundation
public import Logging
public import Storage

/// A tenant's memory items and documents that have no up-to-date vector in `space`
/// (docs/reembedding.md). Each run reads only what is still missing, so running it
/// again after a crash, or after writes that reached only the old space, catches up.
public struct ReembedSource: BackfillSource {
    let spaces: EmbeddingSpaceRepository
    let space: String
    let tenantID: String
    let logger: Logger

    public init(spaces: EmbeddingSpaceRepository, space: String, tenantID: String, logger: Logger) {
        self.spaces = spaces
        self.space = space
        self.tenantID = tenantID
        self.logger = logger
    }

    public var description: String { "reembed:\(space)" }

    public func estimatedCount() async throws -> Int? {
        try await spaces.missingCount(in: space, tenantID: tenantID, logger: logger)
    }

    public func read(_ body: (BackfillRecord) async throws -> Void) async throws {
        var number = 0
        try await spaces.forEachMissing(in: space, tenantID: tenantID, logger: logger) { target in
            number += 1
            let json = target.metadataJSON.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
            let record: BackfillRecord
            do throws(InputError) {
                let item = BackfillItem(
                    id: target.id, text: target.text, metadata: try InputMetadata.parse(json),
                    kind: EmbedJob.Target.Kind(rawValue: target.kind.rawValue) ?? .document)
                record = .item(item, line: number)
            } catch {
                record = .invalid(line: number, error: "\(target.kind.rawValue) \(target.id): \(error.message)")
            }
            try await body(record)
        }
    }
}
