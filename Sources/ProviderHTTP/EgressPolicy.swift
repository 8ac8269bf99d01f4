#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// Where memgrid may send requests to URLs that tenants choose (webhooks): only to public
/// addresses, over https unless the operator allows http. A tenant must not reach the
/// cluster's own network (loopback, private ranges, link-local with the cloud metadata
/// address 169.254.169.254, unique-local, multicast). Operators list on-premises receivers
/// that live on private addresses in `allowed`.
public struct EgressPolicy: Sendable {
    /// Operator allowlist: host names (matched exactly, case-insensitively) and networks
    /// (`10.1.2.0/24`, `fd00::/8`, or a single address) allowed despite being non-public.
    public var allowedHosts: Set<String>
    public var allowedNetworks: [IPNetwork]
    public var allowHTTP: Bool

    public init(allowed: [String] = [], allowHTTP: Bool = false) throws {
        var hosts: Set<String> = []
        var networks: [IPNetwork] = []
        for entry in allowed.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !entry.isEmpty {
            if let network = IPNetwork(entry) {
                networks.append(network)
            } else if entry.contains("/") {
                throw EgressRefusal(reason: "'\(entry)' is neither a host name nor a network")
            } else {
                hosts.insert(entry)
            }
        }
        allowedHosts = hosts
        allowedNetworks = networks
        self.allowHTTP = allowHTTP
    }

    /// Where a vetted URL's request goes: the address to connect to, chosen once, so no
    /// second DNS lookup can swap in another (DNS rebinding).
    public struct Target: Sendable, Equatable {
        public var host: String
        /// Nil for a host name the operator allowed: it is trusted, and looked up as usual.
        public var address: IPAddress?

        public init(host: String, address: IPAddress?) {
            self.host = host
            self.address = address
        }
    }

    /// Checks the scheme, resolves the host and refuses the URL if any of its addresses is
    /// not public (and not allowed). The refusal's text is the same for a name that does
    /// not resolve and one that resolves to a forbidden address, so it tells a tenant
    /// nothing about the cluster's internal names.
    public func vet(_ url: URL) async throws -> Target {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || (allowHTTP && scheme == "http") else {
            throw EgressRefusal(reason: allowHTTP ? "the URL must be http or https" : "the URL must be https")
        }
        guard let rawHost = url.host, !rawHost.isEmpty else { throw EgressRefusal(reason: "the URL has no host") }
        let host = rawHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if allowedHosts.contains(host) { return Target(host: host, address: nil) }
        let addresses: [IPAddress]
        if let literal = IPAddress(host) { addresses = [literal] } else { addresses = try await Self.resolve(host) }
        guard let first = addresses.first, addresses.allSatisfy({ $0.isPublic || isAllowed($0) }) else {
            throw EgressRefusal.notAllowed
        }
        return Target(host: host, address: first)
    }

    private func isAllowed(_ address: IPAddress) -> Bool {
        allowedNetworks.contains { $0.contains(address) }
    }

    /// All addresses of `host`; none if it does not resolve. `getaddrinfo` blocks, so it
    /// runs on a thread of its own rather than one of the concurrency pool's.
    static func resolve(_ host: String) async throws -> [IPAddress] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &list) == 0 else {
                    return continuation.resume(throwing: EgressRefusal.notAllowed)
                }
                defer { freeaddrinfo(list) }
                var found: [IPAddress] = []
                var next = list
                while let entry = next?.pointee {
                    if let address = entry.ai_addr.flatMap(IPAddress.init(socketAddress:)), !found.contains(address) {
                        found.append(address)
                    }
                    next = entry.ai_next
                }
                continuation.resume(returning: found)
            }
        }
    }
}

/// Why a tenant's URL was refused. `notAllowed`'s text is deliberately the same for every
/// address problem.
public struct EgressRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }

    static let notAllowed = EgressRefusal(
        reason: "the host must resolve to public addresses only (an operator can allow private receivers)")
}
