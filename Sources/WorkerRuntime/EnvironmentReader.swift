public import Foundation

/// Reads configuration from environment variables (12-factor). Every key and its
/// default is documented in docs/configuration.md.
public struct EnvironmentReader: Sendable {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let key: String
        public let message: String
        public var description: String { "invalid \(key): \(message)" }

        public init(key: String, message: String) {
            self.key = key
            self.message = message
        }
    }

    /// Every variable, for configuration loaders that read a family of keys.
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    public func string(_ key: String, default defaultValue: String) -> String {
        guard let value = values[key], !value.isEmpty else { return defaultValue }
        return value
    }

    public func optionalString(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    public func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int> = 0...Int.max) throws(Error) -> Int {
        guard let text = optionalString(key) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw Error(key: key, message: "expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    public func double(_ key: String, default defaultValue: Double) throws(Error) -> Double {
        guard let text = optionalString(key) else { return defaultValue }
        guard let value = Double(text), value.isFinite else {
            throw Error(key: key, message: "expected a number, got '\(text)'")
        }
        return value
    }

    /// A duration given in milliseconds.
    public func milliseconds(_ key: String, default defaultValue: Duration) throws(Error) -> Duration {
        guard optionalString(key) != nil else { return defaultValue }
        return .milliseconds(try int(key, default: 0))
    }

    /// `true` or `false`.
    public func bool(_ key: String, default defaultValue: Bool) throws(Error) -> Bool {
        guard let text = optionalString(key) else { return defaultValue }
        guard let value = Bool(text) else { throw Error(key: key, message: "expected true or false, got '\(text)'") }
        return value
    }

    public func choice<T: RawRepresentable>(_ key: String, default defaultValue: T) throws(Error) -> T where T.RawValue == String {
        try choice(key, default: defaultValue, valid: nil)
    }

    /// `choice` for a closed set of values: a bad one is refused with the list of valid ones.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: T) throws(Error) -> T where T.RawValue == String {
        try choice(key, default: defaultValue, valid: T.allCases.map(\.rawValue))
    }

    private func choice<T: RawRepresentable>(_ key: String, default defaultValue: T, valid: [String]?) throws(Error) -> T where T.RawValue == String {
        guard let text = optionalString(key) else { return defaultValue }
        guard let value = T(rawValue: text) else {
            throw Error(key: key, message: "unknown value '\(text)'" + (valid.map { ", expected one of \($0.joined(separator: ", "))" } ?? ""))
        }
        return value
    }
}
