public import NIOCore

extension Duration {
    /// The same span as NIO's `TimeAmount`, which AsyncHTTPClient's timeouts take.
    public var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
