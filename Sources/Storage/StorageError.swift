/// An error from the storage layer: an opaque code plus context, never SQL values.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let invalidConfiguration = Code(name: "invalid_configuration")
        /// The database schema is older than this binary needs: run `memgrid migrate`.
        public static let schemaTooOld = Code(name: "schema_too_old")
        public static let migrationFailed = Code(name: "migration_failed")
        public static let notFound = Code(name: "not_found")
        /// The write would collide with an existing row (e.g. an edit making two items equal).
        public static let conflict = Code(name: "conflict")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "StorageError(\(code)): \(message)" }
}
