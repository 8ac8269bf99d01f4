import ServiceLifecycle

/// The shape of the proactive worker's loops: run a pass, again at once while passes find
/// full batches, otherwise after `interval`; stop at graceful shutdown. Only the sleep is
/// cut short, so a pass in progress (claimed rows, a publish) always finishes.
enum PollingLoop {
    /// - Parameter pass: does one batch of work; returns true when more is probably waiting.
    static func run(interval: Duration, _ pass: @Sendable () async -> Bool) async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if await pass() { continue }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
