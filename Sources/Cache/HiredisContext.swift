import CHiredis
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The box around one hiredis `redisContext*`.
///
/// `@unchecked Sendable` because it is handed to its connection's thread; every method is
/// called on that thread only, one at a time, so the pointer is never shared.
/// Every call here blocks for at most the connect or command timeout.
final class HiredisContext: @unchecked Sendable {
    private var context: UnsafeMutablePointer<redisContext>?
    private let configuration: RedisClient.Configuration
    /// With TLS, hiredis connects to this loopback forwarder instead of the server.
    private let tunnel: TLSTunnel?
    private let logger: Logger

    init(configuration: RedisClient.Configuration, tunnel: TLSTunnel?, logger: Logger) {
        self.configuration = configuration
        self.tunnel = tunnel
        self.logger = logger
    }

    deinit {
        close()
    }

    /// Sends all commands in one write, then reads one reply per command, in order.
    /// On any I/O or protocol error the context is freed and the next call reconnects.
    func execute(_ commands: [[RedisArgument]]) throws(RedisClient.Error) -> [RedisValue] {
        do throws(RedisClient.Error) {
            let context = try connectedContext()
            do {
                return try roundTrip(commands, on: context)
            } catch {
                logger.debug("Dropping Redis connection", metadata: ["redis.error.code": "\(error.code)"])
                close()
                throw error
            }
        } catch {
            // Through the TLS tunnel, hiredis sees only the loopback side close: name why.
            guard let reason = tunnel?.lastFailure else { throw error }
            throw RedisClient.Error(code: error.code, message: "\(error.message) (TLS: \(reason))")
        }
    }

    func close() {
        if let context {
            redisFree(context)
            self.context = nil
        }
    }

    // MARK: - Connecting

    private func connectedContext() throws(RedisClient.Error) -> UnsafeMutablePointer<redisContext> {
        if let context {
            if Self.isIdleAndOpen(context) { return context }
            // The server closed the socket while we were idle (restart, idle timeout, CLIENT KILL).
            // Reconnect now rather than fail the command with a stale connection.
            logger.debug("Redis connection closed while idle; reconnecting")
            close()
        }
        let context = try connect()
        self.context = context
        return context
    }

    private func connect() throws(RedisClient.Error) -> UnsafeMutablePointer<redisContext> {
        var (host, port) = (configuration.host, configuration.port)
        if let tunnel { (host, port) = ("127.0.0.1", try tunnel.localPort()) }
        guard let context = redisConnectWithTimeout(host, Int32(clamping: port), timeval(configuration.connectTimeout)) else {
            throw RedisClient.Error(code: .connectionFailed, message: "cannot allocate a hiredis context")
        }
        guard context.pointee.err == 0 else {
            let reason = Self.errorText(context)
            redisFree(context)
            logger.debug("Redis connect failed", metadata: ["redis.error": "\(reason)"])
            throw RedisClient.Error(code: .connectionFailed, message: "cannot connect: \(reason)")
        }
        do throws(RedisClient.Error) {
            // SO_RCVTIMEO/SO_SNDTIMEO: a blocked read or write returns EAGAIN after this long.
            guard redisSetTimeout(context, timeval(configuration.commandTimeout)) == REDIS_OK else {
                throw RedisClient.Error(code: .connectionFailed, message: "cannot set the command timeout")
            }
            _ = redisEnableKeepAlive(context)
            try handshake(context)
        } catch {
            redisFree(context)
            throw error
        }
        logger.debug("Connected to Redis")
        return context
    }

    private func handshake(_ context: UnsafeMutablePointer<redisContext>) throws(RedisClient.Error) {
        var commands: [[RedisArgument]] = []
        if let password = configuration.password {
            let credentials = [configuration.username, password].compactMap { $0 }.map { RedisArgument($0) }
            commands.append(["AUTH"] + credentials)
        }
        if configuration.database != 0 {
            commands.append(["SELECT", RedisArgument(configuration.database)])
        }
        guard !commands.isEmpty else { return }

        let replies: [RedisValue]
        do {
            replies = try roundTrip(commands, on: context)
        } catch {
            throw RedisClient.Error(code: .connectionFailed, message: "handshake failed: \(error.message)")
        }
        for (command, reply) in zip(commands, replies) {
            guard let message = reply.errorMessage else { continue }
            if command.first == "AUTH" {
                throw RedisClient.Error(code: .authenticationFailed, message: "AUTH rejected: \(message)")
            }
            throw RedisClient.Error(code: .connectionFailed, message: "SELECT rejected: \(message)")
        }
    }

    /// A pooled connection does nothing between commands, so any readable event on its socket
    /// means EOF, an error, or stray bytes: in every case the connection is unusable.
    private static func isIdleAndOpen(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    // MARK: - Commands

    private func roundTrip(
        _ commands: [[RedisArgument]],
        on context: UnsafeMutablePointer<redisContext>
    ) throws(RedisClient.Error) -> [RedisValue] {
        for command in commands {
            try append(command, to: context)
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var reply: UnsafeMutableRawPointer?
            let status = redisGetReply(context, &reply)
            let savedErrno = errno
            guard status == REDIS_OK, let reply else {
                throw Self.ioError(context, errno: savedErrno)
            }
            defer { freeReplyObject(reply) }
            replies.append(RedisValue(reply.assumingMemoryBound(to: redisReply.self)))
        }
        return replies
    }

    /// Appends one command to hiredis' output buffer as an argv of byte strings:
    /// binary-safe, so values may contain `\0` and `\r\n`.
    private func append(_ command: [RedisArgument], to context: UnsafeMutablePointer<redisContext>) throws(RedisClient.Error) {
        // One contiguous buffer keeps every argument's bytes alive and pinned during the call.
        // The trailing byte gives even an all-empty argv a valid base address.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(command.reduce(1) { $0 + $1.bytes.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(command.count)
        for argument in command {
            bytes.append(contentsOf: argument.bytes)
            lengths.append(argument.bytes.count)
        }
        bytes.append(0)

        let status = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(command.count)
            var offset = 0
            for length in lengths {
                argv.append(base + offset)
                offset += length
            }
            return argv.withUnsafeMutableBufferPointer { argv in
                redisAppendCommandArgv(context, Int32(command.count), argv.baseAddress, lengths)
            }
        }
        guard status == REDIS_OK else {
            throw Self.ioError(context, errno: errno)
        }
    }

    private static func ioError(_ context: UnsafeMutablePointer<redisContext>, errno savedErrno: Int32) -> RedisClient.Error {
        let reason = errorText(context)
        switch context.pointee.err {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK:
            return RedisClient.Error(code: .timeout, message: "no reply within the command timeout")
        case REDIS_ERR_PROTOCOL:
            return RedisClient.Error(code: .protocolError, message: reason)
        default:
            return RedisClient.Error(code: .connectionLost, message: "connection lost: \(reason)")
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: &context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension RedisValue {
    /// Copies a hiredis reply tree into Swift values; the caller frees the C reply.
    fileprivate init(_ reply: UnsafeMutablePointer<redisReply>) {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(reply.integer))
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.bytes(reply))
        case REDIS_REPLY_STATUS:
            self = .simpleString(String(decoding: Self.bytes(reply), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(reply), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            let elements = UnsafeBufferPointer(start: reply.element, count: reply.elements)
            self = .array(elements.map { RedisValue($0!) })
        default:
            self = .null
        }
    }

    private static func bytes(_ reply: redisReply) -> [UInt8] {
        guard let string = reply.str, reply.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: string, count: reply.len))
    }
}

extension timeval {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds / 1_000_000_000_000)))
    }
}
