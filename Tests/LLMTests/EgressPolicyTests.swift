import Foundation
import ProviderHTTP
import Testing

/// Where tenant-chosen URLs (webhooks) may lead. The address table's expectations are
/// Python 3.11's `ipaddress` (`is_global and not is_multicast`), printed once and kept
/// here; `stricter` lists where memgrid refuses more than Python on purpose.
@Suite struct EgressPolicyTests {
    static let reference: [(String, Bool)] = [
        ("127.0.0.1", false), ("127.1.2.3", false), ("10.0.0.5", false), ("10.255.255.255", false), ("172.16.0.1", false),
        ("172.31.255.255", false), ("172.32.0.1", true), ("192.168.1.1", false), ("169.254.169.254", false), ("169.254.0.1", false),
        ("100.64.0.1", false), ("100.127.255.255", false), ("100.128.0.1", true), ("0.0.0.0", false), ("0.1.2.3", false),
        ("224.0.0.1", false), ("239.255.255.250", false), ("240.0.0.1", false), ("255.255.255.255", false), ("192.0.2.10", false),
        ("198.51.100.7", false), ("203.0.113.9", false), ("198.18.0.1", false), ("198.19.255.255", false), ("8.8.8.8", true),
        ("1.1.1.1", true), ("93.184.216.34", true), ("11.0.0.1", true), ("172.15.255.255", true), ("192.169.0.1", true),
        ("223.255.255.255", true), ("::1", false), ("::", false), ("fe80::1", false), ("febf::1", false), ("fc00::1", false),
        ("fd12:3456::1", false), ("ff02::1", false), ("ff0e::1", false), ("::ffff:127.0.0.1", false), ("::ffff:8.8.8.8", true),
        ("::ffff:10.0.0.1", false), ("64:ff9b::8.8.8.8", true), ("2001:db8::1", false), ("2001:4860:4860::8888", true),
        ("2606:4700:4700::1111", true), ("2a00:1450:4001::1", true), ("100::1", false), ("2001::1", false),
    ]

    /// Python calls these global; memgrid does not: IETF protocol assignments (192.0.0.0/24),
    /// NAT64 of a private address, 6to4 (which embeds any IPv4 address) and deprecated site-local.
    static let stricter = ["192.0.0.8", "64:ff9b::a00:1", "2002::1", "2002:7f00:1::1", "fec0::1"]

    @Test func addressesAreJudgedAsTheReferenceDoes() throws {
        for (text, expected) in Self.reference {
            let address = try #require(IPAddress(text), "\(text)")
            #expect(address.isPublic == expected, "\(text)")
        }
        for text in Self.stricter {
            #expect(try #require(IPAddress(text)).isPublic == false, "\(text)")
        }
    }

    @Test func networksContainTheirAddressesOnly() throws {
        let network = try #require(IPNetwork("10.1.2.0/23"))
        #expect(network.contains(IPAddress("10.1.3.255")!) && !network.contains(IPAddress("10.1.4.0")!))
        #expect(!network.contains(IPAddress("::ffff:10.1.2.1")!), "families never mix")
        #expect(try #require(IPNetwork("fd00::/8")).contains(IPAddress("fdff::1")!))
        #expect(try #require(IPNetwork("127.0.0.1")).contains(IPAddress("127.0.0.1")!))
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("example.com/8") == nil)
    }

    @Test("SSRF targets are refused, with one text for all of them", arguments: [
        "https://127.0.0.1/hook", "https://10.0.0.5:8080/hook", "https://169.254.169.254/latest/meta-data/", "https://[::1]:9/x",
        "https://[fd00::5]/x", "https://localhost/hook", "https://0.0.0.0/", "https://[::ffff:127.0.0.1]/",
        "https://does-not-exist.invalid/hook",
    ])
    func ssrfTargetsAreRefused(url: String) async throws {
        let policy = try EgressPolicy()
        await #expect(throws: EgressRefusal.self) { try await policy.vet(URL(string: url)!) }
        do {
            _ = try await policy.vet(URL(string: url)!)
        } catch let refusal as EgressRefusal {
            #expect(refusal.reason.hasPrefix("the host must resolve to public addresses only"))
        }
    }

    @Test func publicAddressesPassAndTheVettedAddressIsKept() async throws {
        let target = try await EgressPolicy().vet(URL(string: "https://8.8.8.8/hook")!)
        #expect(target.host == "8.8.8.8" && target.address == IPAddress("8.8.8.8"))
    }

    @Test func httpNeedsTheOperatorsConsent() async throws {
        let refusal = await #expect(throws: EgressRefusal.self) { try await EgressPolicy().vet(URL(string: "http://8.8.8.8/hook")!) }
        #expect(refusal?.reason == "the URL must be https")
        _ = try await EgressPolicy(allowHTTP: true).vet(URL(string: "http://8.8.8.8/hook")!)
    }

    @Test func theOperatorAllowlistAdmitsPrivateReceivers() async throws {
        let policy = try EgressPolicy(allowed: ["10.20.0.0/16", "localhost", " HOOKS.CORP "], allowHTTP: true)
        #expect(try await policy.vet(URL(string: "http://10.20.3.4:8080/h")!).address == IPAddress("10.20.3.4"))
        #expect(try await policy.vet(URL(string: "http://localhost:9000/h")!) == EgressPolicy.Target(host: "localhost", address: nil))
        #expect(try await policy.vet(URL(string: "https://hooks.corp/h")!).address == nil, "an allowed name need not resolve")
        await #expect(throws: EgressRefusal.self) { try await policy.vet(URL(string: "http://10.21.0.1/h")!) }
        #expect(throws: EgressRefusal.self) { try EgressPolicy(allowed: ["10.0.0.0/99"]) }
    }
}
