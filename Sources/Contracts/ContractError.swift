/// A wire message that decoded but breaks a business rule: the job is `invalid` and goes
/// straight to the dead-letter queue, since retrying cannot fix it.
///
/// The message names the rule, never the offending value, so it is safe to log and to put
/// in the `x-memgrid-error` header (values may be user text or secrets).
public struct ContractError: Error, Hashable, Sendable, CustomStringConvertible {
    /// JSON path of the offending field, e.g. `payload.items[3].text`.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }

    /// The same error seen from an enclosing object: `items[3]` + `text` → `items[3].text`.
    public func nested(under parent: String) -> ContractError {
        ContractError(field: field.isEmpty ? parent : "\(parent).\(field)", message: message)
    }

    static func check(_ condition: Bool, _ field: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw ContractError(field: field, message: message()) }
    }

    /// Runs `body`, prefixing the field of any `ContractError` it throws with `parent`.
    static func within<T>(_ parent: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ContractError { throw error.nested(under: parent) }
    }
}
