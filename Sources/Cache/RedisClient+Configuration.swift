import Foundation

extension RedisClient {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// For Redis 6 ACLs; `nil` sends the one-argument `AUTH password`.
        public var username: String?
        public var password: String?
        /// Selected with `SELECT` on every new connection when not 0.
        public var database: Int
        /// Connections (each with its own thread) opened lazily, at most this many.
        public var poolSize: Int
        public var connectTimeout: Duration
        /// Bounds every read and write. A command that exceeds it fails with `.timeout`
        /// and its connection is dropped (a late reply would desynchronise it).
        public var commandTimeout: Duration
        /// How long a command may wait for a free connection before failing with `.timeout`.
        public var acquireTimeout: Duration
        /// TLS to the server (`rediss://`); nil = plain TCP.
        public var tls: TLS?

        /// How a TLS connection checks the server.
        public struct TLS: Sendable, Equatable {
            /// PEM file of the CAs that sign the server's certificate; nil = the system's.
            public var caFile: String?
            /// false skips the certificate and host-name checks: encrypted, unauthenticated.
            public var verifyPeer: Bool

            public init(caFile: String? = nil, verifyPeer: Bool = true) {
                self.caFile = caFile
                self.verifyPeer = verifyPeer
            }
        }

        public init(
            host: String = "127.0.0.1",
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            poolSize: Int = 4,
            connectTimeout: Duration = .seconds(2),
            commandTimeout: Duration = .seconds(2),
            acquireTimeout: Duration = .seconds(5),
            tls: TLS? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.poolSize = poolSize
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.acquireTimeout = acquireTimeout
            self.tls = tls
        }

        /// Parses `redis://[[username]:password@]host[:port][/database]`, or `rediss://…` for
        /// TLS with the system's CAs (refine `tls` afterwards).
        /// Percent-encoded user info is decoded; the other settings keep their defaults.
        public init(url: String) throws(RedisClient.Error) {
            // Error messages must not echo the URL: it may carry the password.
            func invalid(_ reason: String) -> RedisClient.Error {
                RedisClient.Error(code: .invalidArgument, message: "invalid Redis URL: \(reason)")
            }
            guard let components = URLComponents(string: url) else { throw invalid("cannot parse") }
            let tls: TLS?
            switch components.scheme?.lowercased() {
            case "redis": tls = nil
            case "rediss": tls = TLS()
            default: throw invalid("scheme must be redis:// or rediss://")
            }
            guard var host = components.host, !host.isEmpty else { throw invalid("missing host") }
            if host.hasPrefix("["), host.hasSuffix("]") {
                host = String(host.dropFirst().dropLast())
            }
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw invalid("port out of range") }

            var database = 0
            let path = components.path.drop { $0 == "/" }
            if !path.isEmpty {
                guard let index = Int(path), index >= 0 else { throw invalid("database must be a non-negative integer") }
                database = index
            }
            self.init(
                host: host,
                port: port,
                username: components.user.flatMap { $0.isEmpty ? nil : $0 },
                password: components.password,
                database: database,
                tls: tls
            )
        }
    }
}

// Keep the password out of `print`, string interpolation, `dump` and debugger output.
extension RedisClient.Configuration: CustomStringConvertible, CustomReflectable {
    public var description: String {
        let auth = password == nil ? "" : "\(username ?? ""):***@"
        return "\(tls == nil ? "redis" : "rediss")://\(auth)\(host):\(port)/\(database) (poolSize: \(poolSize))"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "host": host, "port": port, "username": username as Any,
                "password": password == nil ? "nil" : "***", "database": database,
                "poolSize": poolSize, "connectTimeout": connectTimeout,
                "commandTimeout": commandTimeout, "acquireTimeout": acquireTimeout, "tls": tls as Any,
            ]
        )
    }
}
