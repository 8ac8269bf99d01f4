/// A backfill that cannot start or go on: an opaque code plus a message for the operator.
public struct BackfillError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The source cannot be opened or read (missing file, CSV without a header, bad SQL).
        public static let invalidSource = Code(name: "invalid_source")
        /// The backfill id exists with another source or chunk size.
        public static let conflict = Code(name: "backfill_conflict")
        /// A chunk published by an earlier run now holds other items: the source changed.
        public static let sourceChanged = Code(name: "source_changed")
        public static let unknownTenant = Code(name: "unknown_tenant")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
