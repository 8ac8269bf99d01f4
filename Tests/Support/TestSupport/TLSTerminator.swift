public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// socat terminating TLS in front of a local server (as a TLS load balancer or a managed
/// service's TLS port would), with a CA and a certificate for `localhost` made by openssl
/// for the test, and a second CA that signed nothing of it.
public struct TLSTerminator: Sendable {
    public let directory: URL
    public let port: Int
    public var caFile: String { directory.appendingPathComponent("ca.pem").path }
    public var otherCAFile: String { directory.appendingPathComponent("other-ca.pem").path }

    /// Runs `body` while the terminator listens on a free loopback port, relaying to
    /// `target` (`host:port`).
    public static func with(target: String, _ body: (TLSTerminator) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgrid-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let openssl = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj"
        try shell("""
            \(openssl) /CN=memgrid-test-ca -keyout ca.key -out ca.pem
            \(openssl) /CN=other-ca -keyout other-ca.key -out other-ca.pem
            openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr
            printf 'subjectAltName=DNS:localhost\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out server.pem
            """, in: directory)
        let port = try unusedPort()
        let socat = try Socat(
            listen: "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,verify=0,cert=\(directory.path)/server.pem,key=\(directory.path)/server.key",
            target: "TCP:\(target)")
        defer { socat.stop() }
        guard await TestBroker.eventually(timeout: .seconds(10), { accepts(port: port) }) else {
            throw TestFailure("socat never listened on \(port)")
        }
        try await body(TLSTerminator(directory: directory, port: port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func shell(_ script: String, in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-ec", script]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl failed making the test certificates") }
    }
}
