import Contracts
import Crypto
import Foundation

/// A user in job ids: SHA-256 of tenant and user, as hex, so an id fits a message id
/// whatever their lengths, and a re-published job repeats it.
enum UserKey {
    static func of(tenantID: String, userID: String) -> String {
        SHA256.hash(data: Data("\(tenantID)\u{0}\(userID)".utf8)).hexString
    }
}
