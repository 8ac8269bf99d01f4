import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

extension GatewayFixture {
    /// A key for the tenant with the given scopes (the tenant is created if new).
    func key(tenant: String, scopes: [String]) async throws -> String {
        try await database.withClient(url: database.url) { client in
            try await APIKeyRepository(client: client).create(tenantID: tenant, name: "test", scopes: scopes, logger: self.logger).secret
        }
    }
}

/// The tenant's webhook settings and a user's reminders, on a gateway without workers:
/// reminders are written straight to the database, as the proactive worker would.
@Suite(.serialized)
struct ProactiveAPITests {
    @Test func webhookSettingsNeedAnAdminKeyAndShowTheSecretOnlyOnce() async throws {
        // Names that do not resolve here and a private address: allowed as an operator would.
        let fixture = try await GatewayFixture(workers: false, overrides: [
            "MEMGRID_WEBHOOK_ALLOWED_HOSTS": "example.com,hooks.example.com,10.0.0.0/8", "MEMGRID_WEBHOOK_ALLOW_HTTP": "true",
        ])
        try await fixture.waitUntilReady()
        let admin = try await fixture.key(tenant: "hooks", scopes: ["admin"])
        let plain = try await fixture.key(tenant: "hooks")
        let otherAdmin = try await fixture.key(tenant: "hooks-other", scopes: ["admin"])

        for (method, body) in [("GET", nil), ("PUT", ["url": "https://example.com/h"]), ("DELETE", nil)] as [(String, [String: String]?)] {
            let denied = try await fixture.request(method, "/v1/webhook", key: plain, json: body)
            #expect(denied.status == 403, "\(method)")
            #expect(denied.errorCode == "insufficient_scope", "\(method)")
        }
        let none = try await fixture.request("GET", "/v1/webhook", key: admin)
        #expect(none.status == 404)
        #expect(none.errorCode == "webhook_not_found")

        for url in ["ftp://example.com/h", "not a url", "https://", "/relative/path", "https://example.com/ space",
                    "https://example.com/" + String(repeating: "a", count: 2048), "https://example.com:99999/h",
                    "https://example.com:0/h", "https://example.com/a%zz", "https://example.com/a%2"] {
            let bad = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": url])
            #expect(bad.status == 400, "\(url.prefix(40))")
            #expect(bad.errorCode == "invalid_value", "\(url.prefix(40))")
            #expect((bad.json["error"] as? [String: Any])?["param"] as? String == "url")
        }
        let shortSecret = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": "https://example.com/h", "secret": "short"])
        #expect(shortSecret.status == 400)
        #expect((shortSecret.json["error"] as? [String: Any])?["param"] as? String == "secret")
        let unknown = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": "https://example.com/h", "hooks": "all"])
        #expect(unknown.errorCode == "unknown_parameter")
        let unknownEvent = try await fixture.request(
            "PUT", "/v1/webhook", key: admin, json: ["url": "https://example.com/h", "events": ["memory.updated", "job.completed"]])
        #expect(unknownEvent.status == 400)
        #expect((unknownEvent.json["error"] as? [String: Any])?["param"] as? String == "events")
        let missing = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["secret": "0123456789abcdef"])
        #expect(missing.errorCode == "missing_parameter")

        // No secret sent: one is generated and shown in this answer only.
        let created = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": "https://hooks.example.com/memgrid?team=a%2Fb"])
        #expect(created.status == 200, "\(String(decoding: created.body, as: UTF8.self))")
        #expect(created.json["object"] as? String == "webhook")
        #expect(created.json["url"] as? String == "https://hooks.example.com/memgrid?team=a%2Fb")
        let secret = try #require(created.json["secret"] as? String)
        #expect(secret.hasPrefix("whsec_") && secret.count == 6 + 64)
        #expect(secret.dropFirst(6).allSatisfy { "0123456789abcdef".contains($0) })
        let createdAt = try #require(created.json["created_at"] as? String)

        let shown = try await fixture.request("GET", "/v1/webhook", key: admin)
        #expect(shown.status == 200)
        #expect(shown.json["url"] as? String == "https://hooks.example.com/memgrid?team=a%2Fb")
        #expect(shown.json["secret"] == nil, "GET never returns the secret")
        #expect(!String(decoding: shown.body, as: UTF8.self).contains(secret))
        #expect(shown.json["created_at"] as? String == createdAt)
        #expect(shown.json["updated_at"] is String)

        // Another tenant sees nothing of it.
        #expect(try await fixture.request("GET", "/v1/webhook", key: otherAdmin).status == 404)

        // A chosen secret replaces the URL and secret; created_at stays.
        let chosen = "my-own-secret-0123456789"
        let replaced = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": "http://10.0.0.5:8080/hook", "secret": chosen])
        #expect(replaced.status == 200)
        #expect(replaced.json["secret"] as? String == chosen)
        #expect(replaced.json["created_at"] as? String == createdAt)
        let stored = try await fixture.database.withClient(url: fixture.database.url) { client in
            try await WebhookRepository(client: client).get(tenantID: "hooks", logger: fixture.logger)
        }
        #expect(stored?.secret == chosen)
        #expect(stored?.url == "http://10.0.0.5:8080/hook")

        let deleted = try await fixture.request("DELETE", "/v1/webhook", key: admin)
        #expect(deleted.status == 200)
        #expect(deleted.json["object"] as? String == "webhook.deleted")
        #expect(deleted.json["deleted"] as? Bool == true)
        #expect(try await fixture.request("GET", "/v1/webhook", key: admin).status == 404)
        let again = try await fixture.request("DELETE", "/v1/webhook", key: admin)
        #expect(again.status == 404)
        #expect(again.errorCode == "webhook_not_found")
        await fixture.stop()
    }

    /// The webhook would be a port scanner into the cluster: loopback, private, link-local
    /// (the metadata service), unique-local and names resolving there are refused, with
    /// one text that does not tell them apart from a name that does not resolve.
    @Test func webhookURLsIntoTheClustersNetworkAreRefused() async throws {
        let fixture = try await GatewayFixture(workers: false)
        try await fixture.waitUntilReady()
        let admin = try await fixture.key(tenant: "ssrf", scopes: ["admin"])
        var messages: Set<String> = []
        for url in ["https://127.0.0.1/hook", "https://10.1.2.3:8443/x", "https://169.254.169.254/latest/meta-data/",
                    "https://[::1]:8080/x", "https://[fd00::1]/x", "https://localhost:5432/", "https://nothing-here.invalid/h"] {
            let refused = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": url])
            #expect(refused.status == 400, "\(url)")
            #expect(refused.errorCode == "webhook_url_not_allowed", "\(url)")
            messages.insert((refused.json["error"] as? [String: Any])?["message"] as? String ?? "")
        }
        #expect(messages.count == 1, "\(messages)")
        let plainHTTP = try await fixture.request("PUT", "/v1/webhook", key: admin, json: ["url": "http://8.8.8.8/hook"])
        #expect(plainHTTP.errorCode == "webhook_url_not_allowed")
        #expect(try await fixture.request("GET", "/v1/webhook", key: admin).status == 404, "nothing was stored")
        await fixture.stop()
    }

    @Test func remindersAreListedPerUserAndCancelledWhileScheduled() async throws {
        let fixture = try await GatewayFixture(workers: false)
        try await fixture.waitUntilReady()
        let key = try await fixture.key(tenant: "rem-tenant")
        let otherKey = try await fixture.key(tenant: "rem-other")
        let base = Date(timeIntervalSince1970: 1_900_000_000)
        func reminder(_ id: String, tenant: String = "rem-tenant", user: String = "u-1", dueIn hours: Double) -> ReminderRepository.NewReminder {
            ReminderRepository.NewReminder(
                id: id, tenantID: tenant, userID: user, agentID: id == "mem-1:reminder" ? "agent-7" : nil, memoryID: nil,
                text: "text of \(id)", dueAt: base.addingTimeInterval(hours * 3600), eventAt: base.addingTimeInterval(hours * 3600 + 600),
                timeZone: "Europe/Paris")
        }
        let scheduled = [
            reminder("mem-2:reminder", dueIn: 2), reminder("mem-1:reminder", dueIn: 1), reminder("mem-3:reminder", dueIn: 3),
            reminder("mem-4:reminder", user: "u-2", dueIn: 1), reminder("theirs:reminder", tenant: "rem-other", dueIn: 1),
        ]
        try await fixture.database.withClient(url: fixture.database.url) { client in
            try await ReminderRepository(client: client).schedule(scheduled, logger: fixture.logger)
            _ = try await client.query(
                "UPDATE reminders SET state = 'fired', fired_at = now() WHERE id = 'mem-3:reminder'", logger: fixture.logger)
        }

        let all = try await fixture.request("GET", "/v1/users/u-1/reminders", key: key)
        #expect(all.status == 200, "\(String(decoding: all.body, as: UTF8.self))")
        #expect(all.json["object"] as? String == "list")
        #expect(all.data.map { $0["id"] as? String } == ["mem-1:reminder", "mem-2:reminder", "mem-3:reminder"])
        #expect(all.json["has_more"] as? Bool == false)
        let first = try #require(all.data.first)
        #expect(first["object"] as? String == "reminder")
        #expect(first["user_id"] as? String == "u-1")
        #expect(first["agent_id"] as? String == "agent-7")
        #expect(first["memory_id"] == nil, "no memory behind it: omitted")
        #expect(first["text"] as? String == "text of mem-1:reminder")
        #expect(first["state"] as? String == "scheduled")
        #expect(first["due_at"] as? String == "2030-03-17T18:46:40.000Z")
        #expect(first["event_at"] as? String == "2030-03-17T18:56:40.000Z")
        #expect(first["time_zone"] as? String == "Europe/Paris")
        #expect(first["late"] as? Bool == false)
        #expect(first["fired_at"] == nil)
        #expect(all.data.last?["fired_at"] is String)

        let onlyScheduled = try await fixture.request("GET", "/v1/users/u-1/reminders?state=scheduled", key: key)
        #expect(onlyScheduled.data.map { $0["id"] as? String } == ["mem-1:reminder", "mem-2:reminder"])
        let paged = try await fixture.request("GET", "/v1/users/u-1/reminders?limit=1", key: key)
        #expect(paged.data.count == 1)
        #expect(paged.json["has_more"] as? Bool == true)
        for query in ["state=done", "limit=0", "limit=101", "limit=x"] {
            let bad = try await fixture.request("GET", "/v1/users/u-1/reminders?\(query)", key: key)
            #expect(bad.status == 400, "\(query)")
            #expect(bad.errorCode == "invalid_value", "\(query)")
        }
        // Another tenant's user of the same name has none of these.
        #expect(try await fixture.request("GET", "/v1/users/u-1/reminders", key: otherKey).data.map { $0["id"] as? String } == ["theirs:reminder"])

        let cancelled = try await fixture.request("DELETE", "/v1/reminders/mem-2:reminder", key: key)
        #expect(cancelled.status == 200, "\(String(decoding: cancelled.body, as: UTF8.self))")
        #expect(cancelled.json["id"] as? String == "mem-2:reminder")
        #expect(cancelled.json["state"] as? String == "cancelled")
        let retried = try await fixture.request("DELETE", "/v1/reminders/mem-2:reminder", key: key)
        #expect(retried.status == 200, "cancelling again answers the same")
        #expect(retried.json["state"] as? String == "cancelled")
        let fired = try await fixture.request("DELETE", "/v1/reminders/mem-3:reminder", key: key)
        #expect(fired.status == 409)
        #expect(fired.errorCode == "reminder_not_cancellable")
        let unknown = try await fixture.request("DELETE", "/v1/reminders/no-such:reminder", key: key)
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "reminder_not_found")
        let theirs = try await fixture.request("DELETE", "/v1/reminders/theirs:reminder", key: key)
        #expect(theirs.status == 404, "another tenant's reminder is unknown")
        let cancelledList = try await fixture.request("GET", "/v1/users/u-1/reminders?state=cancelled", key: key)
        #expect(cancelledList.data.map { $0["id"] as? String } == ["mem-2:reminder"])
        let untouched = try await fixture.request("GET", "/v1/users/u-1/reminders?state=scheduled", key: otherKey)
        #expect(untouched.data.map { $0["id"] as? String } == ["theirs:reminder"])
        await fixture.stop()
    }
}
