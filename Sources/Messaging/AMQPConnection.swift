package import CRabbitMQ
package import Foundation

/// One librabbitmq connection with one channel. Not thread-safe, like the C library:
/// each instance is created, used and destroyed on a single thread it owns.
package final class AMQPConnection {
    let state: amqp_connection_state_t
    let channel: amqp_channel_t = 1
    private var isOpen = false

    /// Which of the configuration's nodes this connection reached.
    package let node: Int

    /// Connects to the first node that accepts, trying them in order from `first`
    /// (wrapping around); if none does, the error names every node's failure.
    package static func open(_ configuration: BrokerConfiguration, from first: Int = 0) throws(BrokerError) -> AMQPConnection {
        var failures: [BrokerError] = []
        for offset in configuration.nodes.indices {
            do {
                return try AMQPConnection(configuration, node: (first + offset) % configuration.nodes.count)
            } catch {
                failures.append(error)
            }
        }
        guard failures.count > 1 else { throw failures[0] }
        throw BrokerError(failures[failures.count - 1].code, "no broker node accepted: " + failures.map(\.message).joined(separator: "; "))
    }

    private init(_ configuration: BrokerConfiguration, node: Int) throws(BrokerError) {
        guard let state = amqp_new_connection() else {
            throw BrokerError(.connectionFailed, "amqp_new_connection failed")
        }
        // From here on a throw runs deinit, which destroys the state.
        self.state = state
        self.node = node
        let address = configuration.nodes[node]
        let socket = try Self.socket(state, tls: configuration.tls)
        var timeout = timeval(configuration.connectTimeout)
        let status = amqp_socket_open_noblock(socket, address.host, Int32(address.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw BrokerError(.connectionFailed, "connect \(address): \(String(cString: amqp_error_string2(status)))")
        }
        let heartbeat = Int32(configuration.heartbeat.components.seconds)
        try check(
            memgrid_amqp_login_plain(
                state, configuration.virtualHost, 0, 131072, heartbeat,
                configuration.user, configuration.password),
            "login to \(address)", code: .connectionFailed)
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "channel.open on \(address)", code: .connectionFailed)
        isOpen = true
    }

    /// A plain TCP socket, or a TLS one set up to verify the broker against the CA bundle.
    private static func socket(_ state: amqp_connection_state_t, tls: BrokerConfiguration.TLS?) throws(BrokerError) -> OpaquePointer {
        guard let tls else {
            guard let socket = amqp_tcp_socket_new(state) else { throw BrokerError(.connectionFailed, "amqp_tcp_socket_new failed") }
            return socket
        }
        guard let socket = amqp_ssl_socket_new(state) else { throw BrokerError(.connectionFailed, "amqp_ssl_socket_new failed") }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyPeer ? 1 : 0)
        let caFile = tls.caFile ?? BrokerConfiguration.TLS.systemBundle
        if tls.verifyPeer || tls.caFile != nil {
            let status = amqp_ssl_socket_set_cacert(socket, caFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw BrokerError(.invalidConfiguration, "TLS CA file \(caFile): \(String(cString: amqp_error_string2(status)))")
            }
        }
        if let client = tls.clientCertificate {
            let status = amqp_ssl_socket_set_key(socket, client.certificateFile, client.keyFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw BrokerError(
                    .invalidConfiguration,
                    "TLS client certificate \(client.certificateFile): \(String(cString: amqp_error_string2(status)))")
            }
        }
        return socket
    }

    deinit {
        if isOpen {
            _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        }
        amqp_destroy_connection(state)
    }

    /// Closes politely; errors are irrelevant because the connection is going away.
    package func close() {
        guard isOpen else { return }
        isOpen = false
        _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
    }

    /// Marks the connection dead so `deinit` does not try a close handshake on it.
    func abandon() { isOpen = false }

    // MARK: - Synchronous methods (RPC)

    func declareExchange(_ name: String, type: String) throws(BrokerError) {
        let arena = CArena()
        amqp_exchange_declare(state, channel, arena.bytes(name), arena.bytes(type), 0, 1, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "exchange.declare \(name)")
    }

    /// - Parameter exclusive: a private queue of this connection: not durable, deleted
    ///   when the connection closes (RPC reply queues).
    @discardableResult
    func declareQueue(
        _ name: String, passive: Bool = false, exclusive: Bool = false, arguments: [String: HeaderValue] = [:]
    ) throws(BrokerError) -> (messages: Int, consumers: Int) {
        let arena = CArena()
        let flag: (Bool) -> amqp_boolean_t = { $0 ? 1 : 0 }
        let ok = amqp_queue_declare(
            state, channel, arena.bytes(name), flag(passive), flag(!exclusive), flag(exclusive), flag(exclusive),
            arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "queue.declare \(name)")
        guard let ok else { return (0, 0) }
        return (Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))
    }

    func bindQueue(_ queue: String, exchange: String, routingKey: String) throws(BrokerError) {
        let arena = CArena()
        amqp_queue_bind(
            state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "queue.bind \(queue)")
    }

    func purgeQueue(_ name: String) throws(BrokerError) {
        let arena = CArena()
        amqp_queue_purge(state, channel, arena.bytes(name))
        try check(amqp_get_rpc_reply(state), "queue.purge \(name)")
    }

    func deleteQueue(_ name: String) throws(BrokerError) {
        let arena = CArena()
        amqp_queue_delete(state, channel, arena.bytes(name), 0, 0)
        try check(amqp_get_rpc_reply(state), "queue.delete \(name)")
    }

    func deleteExchange(_ name: String) throws(BrokerError) {
        let arena = CArena()
        amqp_exchange_delete(state, channel, arena.bytes(name), 0)
        try check(amqp_get_rpc_reply(state), "exchange.delete \(name)")
    }

    package func enableConfirms() throws(BrokerError) {
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
    }

    package func setPrefetch(_ count: Int) throws(BrokerError) {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: count), 0)
        try check(amqp_get_rpc_reply(state), "basic.qos")
    }

    package func consume(_ queue: String) throws(BrokerError) -> String {
        let arena = CArena()
        let ok = amqp_basic_consume(state, channel, arena.bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "basic.consume \(queue)")
        return ok.map { String(amqpBytes: $0.pointee.consumer_tag) } ?? ""
    }

    /// basic.get: one message or nil when the queue is empty.
    func get(_ queue: String, autoAck: Bool) throws(BrokerError) -> Delivery? {
        let arena = CArena()
        let reply = amqp_basic_get(state, channel, arena.bytes(queue), autoAck ? 1 : 0)
        try check(reply, "basic.get \(queue)")
        guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD,
              let ok = reply.reply.decoded?.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        else { return nil }
        // Copy the method's fields first: reading the content may reuse their buffers.
        let (exchange, routingKey) = (String(amqpBytes: ok.exchange), String(amqpBytes: ok.routing_key))
        var message = amqp_message_t()
        try check(amqp_read_message(state, channel, &message, 0), "read message", code: .connectionLost)
        defer { amqp_destroy_message(&message) }
        return Delivery(
            body: Data(amqpBytes: message.body), properties: MessageProperties(message.properties), exchange: exchange,
            routingKey: routingKey, redelivered: ok.redelivered != 0, deliveryTag: ok.delivery_tag, generation: 0)
    }

    // MARK: - Asynchronous methods (no reply)

    package func publish(_ message: OutgoingMessage) throws(BrokerError) {
        let arena = CArena()
        var properties = message.properties.raw(in: arena)
        let status = message.body.withUnsafeBytes { body in
            basicPublish(
                exchange: message.exchange, routingKey: message.routingKey, mandatory: message.mandatory,
                properties: &properties,
                body: amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        try check(status, "basic.publish")
    }

    private func basicPublish(
        exchange: String, routingKey: String, mandatory: Bool, properties: inout amqp_basic_properties_t, body: amqp_bytes_t
    ) -> Int32 {
        let arena = CArena()
        return amqp_basic_publish(
            state, channel, arena.bytes(exchange), arena.bytes(routingKey), mandatory ? 1 : 0, 0, &properties, body)
    }

    package func ack(_ tag: UInt64, multiple: Bool = false) throws(BrokerError) {
        try check(amqp_basic_ack(state, channel, tag, multiple ? 1 : 0), "basic.ack")
    }

    func reject(_ tag: UInt64, requeue: Bool) throws(BrokerError) {
        try check(amqp_basic_nack(state, channel, tag, 0, requeue ? 1 : 0), "basic.nack")
    }

    func cancel(_ consumerTag: String) throws(BrokerError) {
        var method = amqp_basic_cancel_t()
        let arena = CArena()
        method.consumer_tag = arena.bytes(consumerTag)
        method.nowait = 1
        try check(amqp_send_method(state, channel, AMQP_BASIC_CANCEL_METHOD, &method), "basic.cancel")
    }

    // MARK: - Reading

    /// The next frame if one is available now. Also services heartbeats: the 1 µs timeout
    /// (not zero) lets librabbitmq notice a missed server heartbeat.
    package func nextFrame() throws(BrokerError) -> amqp_frame_t? {
        var frame = amqp_frame_t()
        var timeout = timeval(tv_sec: 0, tv_usec: 1)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try check(status, "wait frame", code: .connectionLost)
        return frame
    }

    /// Reads the content header and body that follow a deliver/return/get-ok method.
    package func readContent() throws(BrokerError) -> (MessageProperties, Data) {
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        try check(reply, "read message", code: .connectionLost)
        defer { amqp_destroy_message(&message) }
        return (MessageProperties(message.properties), Data(amqpBytes: message.body))
    }

    /// Waits for the socket or the wake fd. See `memgrid_amqp_wait`.
    package func wait(wakeFD: Int32, timeoutMilliseconds: Int32) -> Int32 {
        memgrid_amqp_wait(state, wakeFD, timeoutMilliseconds)
    }

    package func releaseBuffers() {
        amqp_maybe_release_buffers(state)
    }

    // MARK: - Errors

    private func check(_ status: Int32, _ operation: String) throws(BrokerError) {
        try check(status, operation, code: .connectionLost)
    }

    private func check(_ status: Int32, _ operation: String, code: BrokerError.Code) throws(BrokerError) {
        guard status < 0 else { return }
        isOpen = false
        throw BrokerError(code, "\(operation): \(String(cString: amqp_error_string2(status)))")
    }

    private func check(
        _ reply: amqp_rpc_reply_t, _ operation: String, code: BrokerError.Code = .channelClosed
    ) throws(BrokerError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            isOpen = false
            throw BrokerError(
                code == .channelClosed ? .connectionLost : code,
                "\(operation): \(String(cString: amqp_error_string2(reply.library_error)))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            // The broker closed the channel or connection: this connection is done.
            isOpen = false
            let locked = Self.channelCloseCode(reply.reply) == UInt16(AMQP_RESOURCE_LOCKED)
            throw BrokerError(locked ? .resourceLocked : code, "\(operation): \(Self.describeServerClose(reply.reply))")
        default:
            isOpen = false
            throw BrokerError(.protocolError, "\(operation): no reply")
        }
    }

    /// The reply code of a `channel.close`, if `method` is one.
    static func channelCloseCode(_ method: amqp_method_t) -> UInt16? {
        guard method.id == MEMGRID_CHANNEL_CLOSE else { return nil }
        return method.decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee.reply_code
    }

    static func describeServerClose(_ method: amqp_method_t) -> String {
        switch method.id {
        case MEMGRID_CHANNEL_CLOSE:
            guard let close = method.decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee else { break }
            return "channel closed by broker: \(close.reply_code) \(String(amqpBytes: close.reply_text))"
        case MEMGRID_CONNECTION_CLOSE:
            guard let close = method.decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee else { break }
            return "connection closed by broker: \(close.reply_code) \(String(amqpBytes: close.reply_text))"
        default:
            break
        }
        return "broker error (method 0x\(String(method.id, radix: 16)))"
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
