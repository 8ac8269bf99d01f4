public import Foundation

/// Where and how to reach RabbitMQ. Built from an `amqp://user:pass@host:port/vhost` URL.
public struct BrokerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// Negotiated AMQP heartbeat; a silent peer is detected after about twice this.
    public var heartbeat: Duration
    public var connectTimeout: Duration
    /// Reconnect backoff: doubles from `min` up to `max`, with jitter.
    public var reconnectBackoff: ClosedRange<Duration>
    /// How long a publish may wait for its confirm (across reconnects) before it fails.
    public var publishTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 5672,
        user: String = "guest",
        password: String = "guest",
        virtualHost: String = "/",
        heartbeat: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5),
        reconnectBackoff: ClosedRange<Duration> = .milliseconds(100) ... .seconds(10),
        publishTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
        self.publishTimeout = publishTimeout
    }

    /// Parses `amqp://user:password@host:port/vhost`; the vhost is percent-decoded
    /// (`%2F` is `/`), an empty path means `/`.
    public init(url: String) throws(BrokerError) {
        guard let components = URLComponents(string: url), components.scheme == "amqp",
              let host = components.host, !host.isEmpty
        else {
            throw BrokerError(.invalidConfiguration, "expected amqp://user:password@host:port/vhost")
        }
        self.init(host: host, port: components.port ?? 5672)
        if let user = components.user { self.user = user.removingPercentEncoding ?? user }
        if let password = components.password { self.password = password.removingPercentEncoding ?? password }
        let path = components.percentEncodedPath
        if path.count > 1 {
            let vhost = String(path.dropFirst())
            self.virtualHost = vhost.removingPercentEncoding ?? vhost
        }
    }

    /// The URL without the password, for logs.
    public var redactedDescription: String {
        "amqp://\(user)@\(host):\(port)/\(virtualHost == "/" ? "" : virtualHost)"
    }
}
