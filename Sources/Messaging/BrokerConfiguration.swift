public import Foundation

/// Where and how to reach RabbitMQ: one node or the nodes of a cluster. Built from an
/// `amqp://user:pass@host:port/vhost` URL (`amqps://` for TLS), a comma-separated list of
/// such URLs, or one URL naming several hosts (`amqp://user:pass@h1:5672,h2:5672/vhost`).
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

    /// One broker node.
    public struct Node: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The nodes of one cluster, never empty. A connection is made to one; when it fails or
    /// is lost, the next is tried (see `ConnectionRunner`).
    public var nodes: [Node]
    public var user: String
    public var password: String
    public var virtualHost: String
    /// Negotiated AMQP heartbeat; a silent peer is detected after about twice this.
    public var heartbeat: Duration
    public var connectTimeout: Duration
    /// Reconnect backoff: doubles from `min` up to `max`, with jitter, once every node has
    /// been tried.
    public var reconnectBackoff: ClosedRange<Duration>
    /// How long a publish may wait for its confirm (across reconnects) before it fails.
    public var publishTimeout: Duration
    /// nil = plain TCP.
    public var tls: TLS?

    public init(
        nodes: [Node] = [Node(host: "127.0.0.1", port: 5672)],
        user: String = "guest",
        password: String = "guest",
        virtualHost: String = "/",
        heartbeat: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5),
        reconnectBackoff: ClosedRange<Duration> = .milliseconds(100) ... .seconds(10),
        publishTimeout: Duration = .seconds(30),
        tls: TLS? = nil
    ) {
        precondition(!nodes.isEmpty, "a broker needs at least one node")
        self.nodes = nodes
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
        self.publishTimeout = publishTimeout
        self.tls = tls
    }

    /// Parses one node's URL, a comma-separated list of them, or one URL with several
    /// hosts. `amqps://` = TLS, port 5671 by default; the vhost is percent-decoded (`%2F`
    /// is `/`), an empty path means `/`. Every node of a list must agree on scheme,
    /// credentials and vhost: they are one cluster.
    public init(url: String) throws(BrokerError) {
        var parsed: BrokerConfiguration?
        for nodeURL in Self.nodeURLs(url) {
            let node = try Self.single(nodeURL)
            guard var cluster = parsed else {
                parsed = node
                continue
            }
            guard node.tls == cluster.tls, node.user == cluster.user, node.password == cluster.password,
                  node.virtualHost == cluster.virtualHost
            else {
                throw BrokerError(.invalidConfiguration, "every broker node must have the same scheme, user, password and vhost")
            }
            cluster.nodes += node.nodes
            parsed = cluster
        }
        self = parsed!
    }

    /// One URL per node: a list is split at its commas; a URL whose authority names
    /// several hosts becomes one URL per host.
    static func nodeURLs(_ value: String) -> [String] {
        let pieces = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if pieces.allSatisfy({ $0.contains("://") }) { return pieces }
        guard let schemeEnd = value.range(of: "://") else { return [value] }
        let rest = value[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hostsStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let prefix = value[..<hostsStart]
        let path = rest[authorityEnd...]
        return authority[hostsStart...].split(separator: ",", omittingEmptySubsequences: false).map { "\(prefix)\($0)\(path)" }
    }

    private static func single(_ url: String) throws(BrokerError) -> BrokerConfiguration {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["amqp", "amqps"].contains(scheme),
              let host = components.host, !host.isEmpty
        else {
            throw BrokerError(
                .invalidConfiguration,
                "expected amqp://user:password@host:port/vhost, amqps://…, or several of them separated by commas")
        }
        let tls = scheme == "amqps" ? TLS() : nil
        // An IPv6 address comes bracketed; the socket wants it bare.
        let address = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var configuration = BrokerConfiguration(nodes: [Node(host: address, port: components.port ?? (tls == nil ? 5672 : 5671))], tls: tls)
        if let user = components.user { configuration.user = user.removingPercentEncoding ?? user }
        if let password = components.password { configuration.password = password.removingPercentEncoding ?? password }
        let path = components.percentEncodedPath
        if path.count > 1 {
            let vhost = String(path.dropFirst())
            configuration.virtualHost = vhost.removingPercentEncoding ?? vhost
        }
        return configuration
    }

    /// The URL without the password, for logs.
    public var redactedDescription: String {
        let hosts = nodes.map(\.description).joined(separator: ",")
        return "\(tls == nil ? "amqp" : "amqps")://\(user)@\(hosts)/\(virtualHost == "/" ? "" : virtualHost)"
    }
}
