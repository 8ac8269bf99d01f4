public import Logging
import Synchronization

/// Log records kept in memory, for tests that assert on what was logged.
public final class RecordedLogs: Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var metadataKeys: [String]
        public var text: String
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    public func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    public var all: [Record] {
        records.withLock { $0 }
    }
}

public struct RecordingLogHandler: LogHandler {
    public let records: RecordedLogs
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    public var metadataProvider: Logger.MetadataProvider?

    public init(records: RecordedLogs, metadataProvider: Logger.MetadataProvider? = nil) {
        self.records = records
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        records.append(.init(level: event.level, metadataKeys: Array(merged.keys), text: "\(event.message) \(merged)"))
    }
}
