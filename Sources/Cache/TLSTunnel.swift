import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// TLS for `rediss://`. Debian's hiredis (0.14) speaks no TLS and cannot be given another
/// transport, so each hiredis connection goes to this in-process forwarder on loopback,
/// which opens its own TLS connection to Redis (SwiftNIO + NIOSSL: certificate and host
/// name verified) and copies bytes both ways. Nothing leaves the process unencrypted;
/// the loopback hop is in the pod's own network namespace, as with a TLS sidecar.
final class TLSTunnel: Sendable {
    private let host: String
    private let port: Int
    private let connectTimeout: Duration
    private let tls: RedisClient.Configuration.TLS
    private let logger: Logger
    private let listener = Mutex<(any Channel)?>(nil)
    private let failure = Mutex<String?>(nil)

    init(host: String, port: Int, tls: RedisClient.Configuration.TLS, connectTimeout: Duration, logger: Logger) {
        self.host = host
        self.port = port
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.logger = logger
    }

    /// The loopback port hiredis connects to; the listener starts on first use (a bad CA
    /// file fails here, with every connect, and says so). Blocks: a connection thread
    /// calls it, never the cooperative pool.
    func localPort() throws(RedisClient.Error) -> Int {
        do {
            return try listener.withLock { listener in
                if listener == nil {
                    var configuration = TLSConfiguration.makeClientConfiguration()
                    if let caFile = tls.caFile { configuration.trustRoots = .file(caFile) }
                    if !tls.verifyPeer { configuration.certificateVerification = .none }
                    listener = try bind(context: try NIOSSLContext(configuration: configuration)).wait()
                }
                return listener!.localAddress!.port!
            }
        } catch {
            throw RedisClient.Error(code: .connectionFailed, message: "cannot set up TLS to Redis: \(error)")
        }
    }

    /// Why the last TLS connection failed, if it did (a refused certificate, a failed
    /// handshake): hiredis only sees the loopback side close, so its error names this.
    var lastFailure: String? { failure.withLock { $0 } }

    /// Records how a TLS connection went: nil = the handshake completed.
    private func report(_ outcome: String?) {
        let changed = failure.withLock { failure in
            defer { failure = outcome }
            return failure != outcome
        }
        if let outcome, changed { logger.warning("Redis TLS connection failed", metadata: ["redis.error": "\(outcome)"]) }
    }

    /// Stops accepting; open tunnels end as their hiredis connections close.
    func shutdown() async {
        let channel = listener.withLock { listener in
            defer { listener = nil }
            return listener
        }
        try? await channel?.close()
    }

    private func bind(context: NIOSSLContext) -> EventLoopFuture<any Channel> {
        let (host, port, timeout) = (host, port, connectTimeout)
        let report: @Sendable (String?) -> Void = { [weak self] in self?.report($0) }
        // A name is sent for SNI and checked against the certificate; NIOSSL takes no IP
        // literal here and checks an address against the certificate's IP entries instead.
        let serverHostname = host.isIPAddress ? nil : host
        return ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: context, serverHostname: serverHostname))
                        }
                    }
                    .connect(host: host, port: port)
                    .flatMapThrowing { outbound in
                        let (local, remote) = GlueHandler.matchedPair(report: report)
                        try inbound.pipeline.syncOperations.addHandler(local)
                        try outbound.pipeline.syncOperations.addHandler(remote)
                    }
                    .flatMapErrorThrowing { error in
                        report("cannot connect to \(host):\(port): \(error)")
                        throw error
                    }
            }
            .bind(host: "127.0.0.1", port: 0)
    }
}

/// Joins two channels on one event loop: what one reads, the other writes, with
/// backpressure (a side reads only while its partner can write) and half-closes passed on.
private final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// On the TLS side: told of a completed handshake (nil) or an error.
    private let report: (@Sendable (String?) -> Void)?

    private init(report: (@Sendable (String?) -> Void)?) {
        self.report = report
    }

    static func matchedPair(report: @escaping @Sendable (String?) -> Void) -> (local: GlueHandler, remote: GlueHandler) {
        let local = GlueHandler(report: nil), remote = GlueHandler(report: report)
        local.partner = remote
        remote.partner = local
        return (local, remote)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.context?.close(mode: .output, promise: nil)
        }
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { report?(nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        report?("\(error)")
        partner?.context?.close(promise: nil)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let partner, partner.pendingRead {
            partner.pendingRead = false
            partner.context?.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

extension String {
    var isIPAddress: Bool { (try? SocketAddress(ipAddress: self, port: 0)) != nil }
}
