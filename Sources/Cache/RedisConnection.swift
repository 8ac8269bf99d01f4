import Logging

/// One pooled connection: a hiredis context plus the thread that owns it.
///
/// The pool lends a connection to one caller at a time; the caller suspends on a
/// continuation that the connection's thread resumes when the blocking call returns.
final class RedisConnection: Sendable {
    let id: Int
    private let thread: ConnectionThread
    private let context: HiredisContext

    init(id: Int, configuration: RedisClient.Configuration, tunnel: TLSTunnel?, logger: Logger) {
        var logger = logger
        logger[metadataKey: "redis.connection.id"] = "\(id)"
        self.id = id
        self.thread = ConnectionThread(name: "redis-conn-\(id)")
        self.context = HiredisContext(configuration: configuration, tunnel: tunnel, logger: logger)
    }

    /// Runs the commands as one pipeline on this connection's thread.
    func execute(_ commands: [[RedisArgument]]) async throws -> [RedisValue] {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = thread.submit { [context] in
                continuation.resume(with: Result { () throws(RedisClient.Error) in try context.execute(commands) })
            }
            if !accepted {
                continuation.resume(throwing: RedisClient.Error(code: .closed, message: "the client was shut down"))
            }
        }
    }

    /// Frees the context on its own thread, ends the thread, then calls `completion` there.
    func shutdown(completion: (@Sendable () -> Void)? = nil) {
        _ = thread.submit { [context] in
            context.close()
            completion?()
        }
        thread.stop()
    }
}
