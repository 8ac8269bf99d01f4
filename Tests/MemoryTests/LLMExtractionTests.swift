import Contracts
import Foundation
import Memory
import Testing

@Suite("LLM extraction prompt and output")
struct LLMExtractionTests {
    @Test func promptNamesTheVocabularyAndTheReferenceTime() throws {
        let reference = try #require(WireJSON.parse("2026-03-14T09:00:00Z"))
        let messages = MemoryExtractionPrompt.messages(
            for: [.init(role: .user, content: "I moved to Lyon"), .init(role: .assistant, content: "Nice!")],
            reference: reference, timeZone: nil)
        #expect(messages.map(\.role) == ["system", "user"])
        #expect(messages[0].text.contains("2026-03-14T09:00:00Z, a Saturday"))
        #expect(messages[0].text.contains("UTC; the user's own zone is not known"))
        #expect(messages[0].text.contains("preferences, food, work"))
        #expect(!messages[0].text.contains("{{"))
        #expect(messages[1].text == "[0] user: I moved to Lyon\n[1] assistant: Nice!\n\nKnown memories:\n(none)")
        #expect(MemoryExtractionPrompt.responseFormat.jsonSchema?.strict == true)
    }

    /// Late on Saturday in Shanghai is still Saturday morning in UTC: the model must see
    /// the user's day and offset, or "tomorrow" lands a day early.
    @Test func promptShowsTimesInTheUsersZone() throws {
        let reference = try #require(WireJSON.parse("2026-03-14T17:30:00Z"))
        let said = try #require(WireJSON.parse("2026-03-14T17:29:00Z"))
        let messages = MemoryExtractionPrompt.messages(
            for: [.init(role: .user, content: "Dentist tomorrow at 9am", createdAt: said)],
            reference: reference, timeZone: TimeZone(identifier: "Asia/Shanghai"))
        #expect(messages[0].text.contains("2026-03-15T01:30:00+08:00, a Sunday, in the user's time zone (Asia/Shanghai)"))
        #expect(messages[1].text.hasPrefix("[0] user (2026-03-15T01:29:00+08:00): Dentist tomorrow at 9am\n"))
        #expect(!messages[0].text.contains("{{"))
    }

    /// Several speakers: each line shows its index and the speaker's name, and the prompt
    /// asks for the conversation's own language and for the source indices.
    @Test func promptShowsIndicesAndSpeakerNames() throws {
        let reference = try #require(WireJSON.parse("2026-03-14T09:00:00Z"))
        let messages = MemoryExtractionPrompt.messages(
            for: [
                .init(role: .user, content: "J'ai adopté un chat.", name: "Caroline"),
                .init(role: .user, content: "Trop bien !", name: "Melanie"),
                .init(role: .assistant, content: "Noted."),
            ],
            reference: reference, timeZone: nil)
        #expect(messages[1].text.hasPrefix("[0] user Caroline: J'ai adopté un chat.\n[1] user Melanie: Trop bien !\n[2] assistant: Noted.\n"))
        #expect(messages[0].text.contains("message_indices"))
        #expect(messages[0].text.contains("in the conversation's own language (do not translate)"))
        #expect(!messages[0].text.contains("in English"))
        #expect(MemoryExtractionPrompt.version == "extract_memories.v4")
        let schema = try #require(MemoryExtractionPrompt.responseFormat.jsonSchema?.schema)
        guard case .object(let root) = schema, case .object(let properties) = root["properties"],
            case .object(let list) = properties["memories"], case .object(let item) = list["items"],
            case .array(let required) = item["required"], case .object(let fields) = item["properties"]
        else {
            Issue.record("unexpected schema shape: \(schema)")
            return
        }
        #expect(required.contains(.string("message_indices")))
        #expect(fields["message_indices"] == .object(["type": .string("array"), "items": .object(["type": .string("integer")])]))
    }

    /// The user's known memories follow the conversation under short keys; an answer's
    /// actions name those keys and come back as the stored ids.
    @Test func knownMemoriesAreShownByKeyAndActionsNameTheirIDs() throws {
        let known = MemoryExtractionPrompt.Known.keyed([("item-lisbon", "Lives in Lisbon"), ("item-tea", "Likes green tea")])
        let reference = try #require(WireJSON.parse("2026-03-14T09:00:00Z"))
        let messages = MemoryExtractionPrompt.messages(
            for: [.init(role: .user, content: "I moved to Berlin. I still love green tea. Hi!")], reference: reference, timeZone: nil,
            known: known)
        #expect(messages[1].text.hasSuffix("Known memories:\n[K1] Lives in Lisbon\n[K2] Likes green tea"))
        #expect(messages[0].text.contains("`supersede`"))
        let memories = try MemoryExtractionOutput.parse("""
            {"memories": [
              {"type": "profile", "text": "Lives in Berlin", "categories": ["location"], "happened_at": null, "message_indices": [0],
               "action": "supersede", "target": "K1"},
              {"type": "profile", "text": "Loves green tea", "categories": ["food"], "happened_at": null, "message_indices": [0],
               "action": "reinforce", "target": "k2"},
              {"type": "profile", "text": "Says hi", "categories": [], "happened_at": null, "message_indices": [0],
               "action": "ignore", "target": null},
              {"type": "skill", "text": "Speaks German", "categories": [], "happened_at": null, "message_indices": [0],
               "action": "add", "target": null}
            ]}
            """, messageCount: 1, known: known)
        #expect(memories.map(\.action) == [.supersede("item-lisbon"), .reinforce("item-tea"), .add])
        #expect(memories.map(\.text) == ["Lives in Berlin", "Loves green tea", "Speaks German"])
    }

    @Test(arguments: [
        (#"{"memories": [{"type": "profile", "text": "x", "categories": [], "message_indices": [0], "action": "supersede", "target": "K9"}]}"#,
         "memories[0].target 'K9' is not a key shown"),
        (#"{"memories": [{"type": "profile", "text": "x", "categories": [], "message_indices": [0], "action": "supersede", "target": "item-lisbon"}]}"#,
         "memories[0].target 'item-lisbon' is not a key shown"),
        (#"{"memories": [{"type": "profile", "text": "x", "categories": [], "message_indices": [0], "action": "reinforce"}]}"#,
         "memories[0].target 'null'"),
        (#"{"memories": [{"type": "profile", "text": "x", "categories": [], "message_indices": [0], "action": "replace", "target": "K1"}]}"#,
         "memories[0].action 'replace'"),
    ])
    func rejectsActionsOnMemoriesNotShown(answer: String, reason: String) {
        let known = MemoryExtractionPrompt.Known.keyed([("item-lisbon", "Lives in Lisbon")])
        #expect {
            try MemoryExtractionOutput.parse(answer, messageCount: 1, known: known)
        } throws: { error in
            (error as? MemoryExtractionOutput.Error)?.message.contains(reason) == true
        }
    }

    @Test func readsAValidAnswer() throws {
        let memories = try MemoryExtractionOutput.parse("""
            {"memories": [
              {"type": "profile", "text": " Lives in Lyon ", "categories": ["Location"], "happened_at": null, "message_indices": [0]},
              {"type": "event", "text": "Has a dentist appointment on 2026-03-15 at 15:00", "categories": ["health", "schedule"],
               "happened_at": "2026-03-15T15:00:00+01:00", "message_indices": [2, 0, 2]}
            ]}
            """, messageCount: 3)
        #expect(memories.map(\.type) == [.profile, .event])
        #expect(memories[0].text == "Lives in Lyon")
        #expect(memories[0].categories == ["location"])
        #expect(memories[1].categories == ["health", "schedule"])
        #expect(memories[1].happenedAt == WireJSON.parse("2026-03-15T14:00:00Z"))
        #expect(memories.map(\.messageIndices) == [[0], [0, 2]])
    }

    @Test func repairsFencesProseAndUnknownCategories() throws {
        let memories = try MemoryExtractionOutput.parse("""
            Here you go:
            ```json
            {"memories": [{"type": "Skill", "text": "Speaks Portuguese", "categories": ["languages"], "happened_at": "", "message_indices": [1]}]}
            ```
            """, messageCount: 2)
        #expect(
            memories == [
                ExtractedMemory(type: .skill, text: "Speaks Portuguese", categories: ["personal"], happenedAt: nil, messageIndices: [1])
            ])
        #expect(try MemoryExtractionOutput.parse(#"{"memories": []}"#, messageCount: 1).isEmpty)
    }

    @Test(arguments: [
        ("no json at all", "holds no JSON object"),
        (#"{"memory": []}"#, "missing 'memories'"),
        (#"{"memories": [{"type": "opinion", "text": "x", "categories": []}]}"#, "memories[0].type 'opinion'"),
        (#"{"memories": [{"type": "event", "text": "  ", "categories": []}]}"#, "memories[0].text"),
        (#"{"memories": [{"type": "event", "text": "x", "categories": [], "happened_at": "tomorrow"}]}"#, "memories[0].happened_at"),
        (#"{"memories": [{"type": "event", "text": "x", "categories": [], "happened_at": "tomorrow"}"#, "not {\"memories\""),
        (#"{"memories": [{"type": "event", "text": "x", "categories": []}]}"#, "memories[0].message_indices must name at least one"),
        (#"{"memories": [{"type": "event", "text": "x", "categories": [], "message_indices": []}]}"#, "memories[0].message_indices must name"),
        (#"{"memories": [{"type": "event", "text": "x", "categories": [], "message_indices": [1, 3]}]}"#, "memories[0].message_indices holds 3; messages are numbered 0 to 2"),
        (#"{"memories": [{"type": "event", "text": "x", "categories": [], "message_indices": [-1]}]}"#, "memories[0].message_indices holds -1"),
        (#"{"memories": [{"type": "event", "text": "x", "categories": [], "message_indices": ["0"]}]}"#, "not {\"memories\""),
    ])
    func rejectsMalformedAnswersSayingWhy(answer: String, reason: String) {
        #expect {
            try MemoryExtractionOutput.parse(answer, messageCount: 3)
        } throws: { error in
            (error as? MemoryExtractionOutput.Error)?.message.contains(reason) == true
        }
    }
}
