import Contracts
import Crypto
import Foundation

/// Up to `chunkSize` consecutive valid items: one `embed.v1` job.
struct BackfillChunk {
    var index: Int
    var items: [BackfillItem]

    /// `backfill-<digest of tenant and backfill id>-<index>`: the same chunk of the same
    /// backfill is always the same job, so re-publishing it after a crash is idempotent.
    static func jobID(tenantID: String, backfillID: String, index: Int) -> String {
        "backfill-\(SHA256.hash(data: Data("\(tenantID)\u{0}\(backfillID)".utf8)).prefix(12).hexString)-\(index)"
    }

    /// A digest of the chunk's items, compared on a re-run to notice a changed source.
    var contentHash: String { BackfillItem.digest(items) }

    func job(tenantID: String, backfillID: String, space: String?) -> JobEnvelope<EmbedJob> {
        JobEnvelope(
            id: Self.jobID(tenantID: tenantID, backfillID: backfillID, index: index), tenantID: tenantID,
            payload: EmbedJob(space: space, items: items.map(\.embedItem)))
    }
}

extension BackfillRunner {
    /// The fingerprint a re-run must match: the source and the chunk size decide the chunks.
    public static func fingerprint(source: String, chunkSize: Int) -> String {
        SHA256.hash(data: Data("\(source)\u{0}\(chunkSize)".utf8)).hexString
    }

    /// The id a backfill gets when none is given: the same source read the same way gets
    /// the same id, so repeating the same command (or request) resumes instead of redoing.
    public static func defaultID(source: some BackfillSource, chunkSize: Int) -> String {
        let kind = source.description.prefix { $0 != ":" }
        return "\(kind)-\(fingerprint(source: source.description, chunkSize: chunkSize).prefix(12))"
    }

    /// Backfill ids: 1 to 128 ASCII letters, digits, `-`, `_` or `.`, since they appear in
    /// commands and URLs.
    public static func isValidID(_ id: String) -> Bool {
        (1...128).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

/// A stable 64-bit FNV-1a hash of an id, to notice repeated ids without keeping them all.
func idHash(_ id: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in id.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return hash
}
