public import Foundation

/// Which dead letters an operation selects. Every condition given must hold; an empty
/// set or nil means "any". Which queues to visit is the operation's `queues` argument.
public struct DeadLetterFilter: Sendable, Hashable {
    public var messageIDs: Set<String>
    /// Values of `DeadLetter.reasons`.
    public var reasons: Set<String>
    public var tenantID: String?
    /// Dead-lettered at least this long ago. A dead letter without a known time never
    /// matches an age condition.
    public var olderThan: Duration?
    /// Dead-lettered at most this long ago.
    public var newerThan: Duration?

    public init(
        messageIDs: Set<String> = [], reasons: Set<String> = [], tenantID: String? = nil,
        olderThan: Duration? = nil, newerThan: Duration? = nil
    ) {
        self.messageIDs = messageIDs
        self.reasons = reasons
        self.tenantID = tenantID
        self.olderThan = olderThan
        self.newerThan = newerThan
    }

    /// Whether nothing narrows the selection (every dead letter matches).
    public var isEmpty: Bool {
        messageIDs.isEmpty && reasons.isEmpty && tenantID == nil && olderThan == nil && newerThan == nil
    }

    public func matches(_ letter: DeadLetter, now: Date) -> Bool {
        if !messageIDs.isEmpty, !(letter.messageID.map(messageIDs.contains) ?? false) { return false }
        if !reasons.isEmpty, !(letter.reason.map(reasons.contains) ?? false) { return false }
        if let tenantID, letter.tenantID != tenantID { return false }
        if olderThan != nil || newerThan != nil {
            guard let deadLetteredAt = letter.deadLetteredAt else { return false }
            let age = now.timeIntervalSince(deadLetteredAt)
            if let olderThan, age < olderThan.seconds { return false }
            if let newerThan, age > newerThan.seconds { return false }
        }
        return true
    }
}

extension Duration {
    fileprivate var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
