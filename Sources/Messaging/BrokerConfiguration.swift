public import Foundation

/// Where and how to reach RabbitMQ. Built from an `amqp://user:pass@host:port/vhost` URL,
/// or `amqps://` for TLS.
public struct BrokerConfiguration: Sendable {
    /// TLS to the broker (DMS RabbitMQ with SSL, or any broker on 5671). The peer's
    /// certificate and host name are verified unless `verifyPeer` is off.
    public struct TLS: Sendable, Equatable {
        /// PEM bundle of the CAs to trust; nil = the system's bundle.
        public var caFile: String?
        /// Off only for a broker whose certificate cannot be checked (never in production).
        public var verifyPeer: Bool
        /// Client certificate and its key (PEM files), for brokers that require mutual TLS.
        public var clientCertificate: ClientCertificate?

        public struct ClientCertificate: Sendable, Equatable {
            public var certificateFile: String
            public var keyFile: String

            public init(certificateFile: String, keyFile: String) {
                self.certificateFile = certificateFile
                self.keyFile = keyFile
            }
        }

        public init(caFile: String? = nil, verifyPeer: Bool = true, clientCertificate: ClientCertificate? = nil) {
            self.caFile = caFile
            self.verifyPeer = verifyPeer
            self.clientCertificate = clientCertificate
        }

        /// Debian's and Ubuntu's bundle of the system's trusted CAs.
        static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"
    }

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
    /// nil = plain TCP.
    public var tls: TLS?

    public init(
        host: String = "127.0.0.1",
        port: Int = 5672,
        user: String = "guest",
        password: String = "guest",
        virtualHost: String = "/",
        heartbeat: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5),
        reconnectBackoff: ClosedRange<Duration> = .milliseconds(100) ... .seconds(10),
        publishTimeout: Duration = .seconds(30),
        tls: TLS? = nil
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
        self.tls = tls
    }

    /// Parses `amqp://user:password@host:port/vhost` (`amqps://` = TLS, port 5671 by
    /// default); the vhost is percent-decoded (`%2F` is `/`), an empty path means `/`.
    public init(url: String) throws(BrokerError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["amqp", "amqps"].contains(scheme),
              let host = components.host, !host.isEmpty
        else {
            throw BrokerError(.invalidConfiguration, "expected amqp://user:password@host:port/vhost or amqps://…")
        }
        let tls = scheme == "amqps" ? TLS() : nil
        self.init(host: host, port: components.port ?? (tls == nil ? 5672 : 5671), tls: tls)
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
        "\(tls == nil ? "amqp" : "amqps")://\(user)@\(host):\(port)/\(virtualHost == "/" ? "" : virtualHost)"
    }
}
