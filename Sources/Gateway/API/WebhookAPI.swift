import Contracts
import Crypto
import Foundation
import Hummingbird
import Logging
import ProviderHTTP
import Storage

/// The tenant's webhook, where the proactive agent POSTs signed events
/// (docs/proactive.md): `GET`, `PUT` and `DELETE /v1/webhook`.
///
/// A tenant-wide setting, so every route needs a key with the `admin` scope: an ordinary
/// key (one per app or backend) must not be able to redirect the tenant's events or read
/// where they go. The secret is shown once, in the `PUT` answer; `GET` never returns it.
struct WebhookAPI: Sendable {
    static let scope = "admin"
    static let maxURLLength = 2048
    static let secretLength = 16...256
    static let secretPrefix = "whsec_"

    struct PutBody: RequestBody {
        var url: String
        var secret: String?
        /// Absent: `proactive.reminder` only (what webhooks received before subscriptions).
        var events: [String]?

        static let shape = JSONShape.object(["url": .value, "secret": .value, "events": .value])
    }

    struct View: Encodable {
        var object = "webhook"
        var url: String
        /// Only in the `PUT` answer.
        var secret: String?
        var events: [String]
        var createdAt: Date
        var updatedAt: Date

        init(_ webhook: WebhookRepository.Webhook, showingSecret: Bool) {
            url = webhook.url
            secret = showingSecret ? webhook.secret : nil
            events = webhook.events
            createdAt = webhook.createdAt
            updatedAt = webhook.updatedAt
        }

        enum CodingKeys: String, CodingKey {
            case object, url, secret, events
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    struct Deleted: Encodable {
        var object = "webhook.deleted"
        var deleted = true
    }

    let webhooks: WebhookRepository
    let egress: EgressPolicy
    let maxBody: Int

    func register(on router: RouterGroup<GatewayContext>) {
        router.get("/webhook", use: get)
        router.put("/webhook", use: put)
        router.delete("/webhook", use: delete)
    }

    func get(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID(requiring: Self.scope)
        guard let webhook = try await webhooks.get(tenantID: tenantID, logger: context.logger) else { throw Self.notFound }
        return try .json(View(webhook, showingSecret: false))
    }

    func put(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID(requiring: Self.scope)
        let body = try await JSONBody.decode(PutBody.self, from: request, limit: maxBody)
        try Self.checkURL(body.url)
        if let secret = body.secret { try Self.checkSecret(secret) }
        let events = try Self.checkEvents(body.events ?? [EventCatalog.proactiveReminder.name])
        do {
            _ = try await egress.vet(URL(string: body.url)!)
        } catch let refusal as EgressRefusal {
            throw APIError.invalid("url is not allowed: \(refusal.reason)", param: "url", code: "webhook_url_not_allowed")
        }
        let webhook = try await webhooks.set(
            tenantID: tenantID, url: body.url, secret: body.secret ?? Self.generateSecret(), events: events, logger: context.logger)
        context.logger.info("webhook set", metadata: ["webhook.host": "\(URL(string: webhook.url)?.host ?? "")"])
        return try .json(View(webhook, showingSecret: true))
    }

    func delete(_ request: Request, context: GatewayContext) async throws -> Response {
        let tenantID = try context.tenantID(requiring: Self.scope)
        guard try await webhooks.remove(tenantID: tenantID, logger: context.logger) else { throw Self.notFound }
        return try .json(Deleted())
    }

    private static let notFound = APIError.notFound("this tenant has no webhook; set one with PUT /v1/webhook", code: "webhook_not_found")

    /// Known subscribable event types, at least one; returned sorted and unique.
    static func checkEvents(_ events: [String]) throws -> [String] {
        let known = EventCatalog.webhookEvents.map(\.name)
        guard !events.isEmpty else { throw APIError.invalid("events must name at least one event type", param: "events") }
        if let unknown = events.first(where: { !known.contains($0) }) {
            throw APIError.invalid(
                "unknown event type '\(unknown.prefix(64))'; a webhook can receive \(known.joined(separator: ", "))", param: "events")
        }
        return Array(Set(events)).sorted()
    }

    /// An absolute `http` or `https` URL with a host, at most `maxURLLength` characters,
    /// without whitespace or control characters, a port (if any) in 1…65535 and only
    /// well-formed percent-escapes: anything else would be stored and fail at every delivery.
    static func checkURL(_ text: String) throws {
        let invalid = APIError.invalid(
            "url must be an absolute http:// or https:// URL with a host, at most \(maxURLLength) characters", param: "url")
        guard (1...maxURLLength).contains(text.utf8.count),
              !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }),
              Self.escapesAreWellFormed(text),
              let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty,
              components.port.map({ (1...65535).contains($0) }) ?? true
        else { throw invalid }
    }

    /// Every `%` starts `%XX` with two hex digits.
    private static func escapesAreWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, bytes[index + 1].isHexDigit, bytes[index + 2].isHexDigit else { return false }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }

    /// 16 to 256 printable ASCII characters: it keys an HMAC on both sides, so it must
    /// survive copying between systems unchanged.
    static func checkSecret(_ secret: String) throws {
        guard secretLength.contains(secret.utf8.count), secret.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw APIError.invalid(
                "secret must be \(secretLength.lowerBound) to \(secretLength.upperBound) printable ASCII characters without spaces",
                param: "secret")
        }
    }

    /// `whsec_` and 32 random bytes in hex.
    static func generateSecret() -> String {
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { bytes in bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
        return secretPrefix + hex
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
