import Contracts
import Foundation
import Testing

private func item(_ id: String, _ text: String = "text", kind: EmbedJob.Target.Kind = .document) -> EmbedJob.Item {
    .init(target: .init(kind: kind, id: id), text: text)
}

@Suite("Business-rule validation")
struct ValidationTests {
    static func failure(_ body: () throws -> Void) -> ContractError? {
        do { try body() } catch let error as ContractError { return error } catch { return nil }
        return nil
    }

    @Test func samplesAreValid() throws {
        try Samples.embed.validate()
        try Samples.memorize.validate()
        try Samples.memorizeMinimal.validate()
    }

    @Test func embedItemCountBounds() throws {
        #expect(Self.failure { try EmbedJob(items: []).validate() }?.field == "items")
        let full = (0..<EmbedJob.maxItems).map { item("doc-\($0)") }
        try EmbedJob(items: full).validate()
        let tooMany = full + [item("doc-x")]
        #expect(Self.failure { try EmbedJob(items: tooMany).validate() }?.field == "items")
    }

    @Test(arguments: [
        (EmbedJob(items: [item("a"), item("b", "")]), "items[1].text"),
        (EmbedJob(items: [item("")]), "items[0].target.id"),
        (EmbedJob(space: "", items: [item("a")]), "space"),
        (EmbedJob(items: [item("a"), item("b"), item("a", "other")]), "items[2].target"),
    ])
    func embedRules(_ job: EmbedJob, field: String) {
        #expect(Self.failure { try job.validate() }?.field == field)
    }

    @Test func sameIDWithDifferentKindsIsNotADuplicate() throws {
        try EmbedJob(items: [item("7", kind: .document), item("7", kind: .memoryItem)]).validate()
    }

    @Test(arguments: [
        (MemorizeJob(userID: "", messages: [.init(role: .user, content: "hi")]), "user_id"),
        (MemorizeJob(userID: "u", messages: []), "messages"),
        (MemorizeJob(userID: "u", agentID: "", messages: [.init(role: .user, content: "hi")]), "agent_id"),
        (MemorizeJob(userID: "u", messages: [.init(role: .user, content: "hi")], resourceID: ""), "resource_id"),
    ])
    func memorizeRules(_ job: MemorizeJob, field: String) {
        #expect(Self.failure { try job.validate() }?.field == field)
    }

    @Test func envelopeRules() {
        var envelope = Samples.embed
        envelope.id = ""
        #expect(Self.failure { try envelope.validate() }?.field == "id")
        envelope.id = String(repeating: "é", count: 128)  // 256 bytes
        #expect(Self.failure { try envelope.validate() }?.field == "id")
        envelope = Samples.embed
        envelope.tenantID = ""
        #expect(Self.failure { try envelope.validate() }?.field == "tenant_id")
        envelope = Samples.embed
        envelope.version = 2
        let mismatch = Self.failure { try envelope.validate() }
        #expect(mismatch == ContractError(field: "kind", message: "is embed.v2 but the payload is embed.v1"))
        envelope = Samples.embed
        envelope.attempt = 0
        #expect(Self.failure { try envelope.validate() }?.field == "attempt")
        envelope = Samples.embed
        envelope.payload.items[0].text = ""
        let nested = Self.failure { try envelope.validate() }
        #expect(nested?.field == "payload.items[0].text")
        #expect(nested?.description == "payload.items[0].text: must not be empty")
    }

    /// Messages name the rule, never the value: they end up in headers and logs.
    @Test func errorsDoNotEchoValues() {
        let secret = "sk-live-0123456789"
        let job = EmbedJob(items: [item(secret), item(secret)])
        let error = Self.failure { try job.validate() }
        #expect(error != nil)
        #expect(!(error?.description.contains(secret) ?? true))
    }
}
