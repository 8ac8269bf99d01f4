public import NIOCore
import Synchronization

/// The port a server really listens on, known once it runs: the configuration may ask
/// for port 0 (any free port), which tests use so that no chosen port can be taken
/// between choosing and binding.
public final class ListeningPort: Sendable {
    private let port = Mutex<Int?>(nil)

    public init() {}

    /// Nil until the server is listening.
    public var value: Int? { port.withLock { $0 } }

    /// For Hummingbird's `onServerRunning`.
    @Sendable public func record(_ channel: any Channel) async {
        let bound = channel.localAddress?.port
        port.withLock { $0 = bound }
    }
}
