import Contracts
import Foundation
import Memory
import Testing

@Suite("Extractor behavior")
struct ExtractorBehaviorTests {
    static let statement = "I live in Lisbon."

    @Test(arguments: [MemorizeJob.Message.Role.assistant, .system, .tool])
    func onlyUserMessagesAreRead(_ role: MemorizeJob.Message.Role) {
        let message = MemorizeJob.Message(role: role, content: Self.statement)
        #expect(extract([message]).isEmpty)
        #expect(extract([MemorizeJob.Message(role: .user, content: Self.statement)]).count == 1)
    }

    @Test(arguments: [
        "Do I live in Lisbon?",
        "I live in Lisbon?",
        "What's my name",
        "Can you remind me to call mom tomorrow",
        "Where do I work?",
        "Is my flight on May 3",
        "Should I move to Berlin next month",
    ])
    func questionsAreSkipped(_ question: String) {
        #expect(extract(question).isEmpty)
    }

    @Test(arguments: [
        "hi", "Hello there!", "Thanks!", "thank you so much", "Good morning, Ana", "ok cool", "Love tea", "I'm Ana",
    ])
    func greetingsAndFragmentsAreSkipped(_ text: String) {
        #expect(extract(text).isEmpty)
    }

    /// Reactions to the other person and small talk are not facts about the speaker.
    @Test(arguments: [
        "I'm so happy for you!", "I'll keep that in mind.", "I think so too.", "Sounds great, thanks!",
        "I'm good, how about you?", "That's awesome, I'm glad to hear it.", "I hope you have a great day.",
        "I know what you mean.", "I'm so proud of you", "I really appreciate your support.", "I totally agree.",
        "If I win the lottery, I'll buy a boat.",
    ])
    func smallTalkIsSkipped(_ text: String) {
        #expect(extract(text).isEmpty)
    }

    @Test(arguments: ["I love it.", "I like you a lot", "I'll do that tomorrow.", "I can help you"])
    func statementsThatNeedContextAreSkipped(_ text: String) {
        #expect(extract(text).isEmpty)
    }

    @Test(arguments: [
        "The sky is blue.",
        "Paris is the capital of France.",
        "The meeting is tomorrow at 3pm.",
        "We are moving to Berlin.",
        "I wonder what to cook.",
    ])
    func statementsNotAboutTheUserAreSkipped(_ text: String) {
        #expect(extract(text).isEmpty)
    }

    @Test func greetingBeforeAStatementIsDropped() {
        #expect(extract("Hey, so I live in Lisbon!") == [memory(.profile, "Lives in Lisbon", ["location"])])
    }

    @Test func duplicatesKeepTheFirstWording() {
        let messages = [
            user("I like tea. I live in Lisbon."),
            assistant("Noted."),
            user("i like  TEA!"),
            user("I LIKE TEA. I live in Lisbon"),
        ]
        #expect(
            extract(messages) == [
                memory(.profile, "Likes tea", ["preferences", "food"], from: [0, 2, 3]),
                memory(.profile, "Lives in Lisbon", ["location"], from: [0, 3]),
            ])
    }

    @Test func sameWordsWithDifferentDatesAreDifferentMemories() {
        let found = extract("I have a meeting tomorrow. I have a meeting on Friday. I have a meeting tomorrow.")
        #expect(found.map(\.text) == ["Has a meeting on 2026-03-11", "Has a meeting on 2026-03-13"])
    }

    @Test func outputIsDeterministicAndInConversationOrder() throws {
        let messages = [
            user("My name is Ana. I usually go running at 6am."),
            user("I speak Portuguese. Remind me to call mom on Friday."),
            user("I use Figma for work. Remember that the office code is 4512."),
        ]
        let first = extract(messages, in: "Asia/Shanghai")
        #expect(
            first.map(\.text) == [
                "Name is Ana", "Usually goes running at 6am", "Speaks Portuguese", "Needs to call mom on 2026-03-13",
                "Uses Figma for work", "The office code is 4512",
            ])
        #expect(first.map(\.type) == [.profile, .behavior, .skill, .event, .tool, .knowledge])
        for _ in 0..<20 {
            #expect(extract(messages, in: "Asia/Shanghai") == first)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(extract(messages, in: "Asia/Shanghai")) == encoder.encode(first))
    }

    @Test func createdAtWinsOverTheReference() {
        let messages = [
            user("I have a dentist appointment tomorrow.", at: utc("2026-03-01T08:00:00Z")),
            user("I have a haircut tomorrow."),
        ]
        #expect(
            extract(messages) == [
                memory(
                    .event, "Has a dentist appointment on 2026-03-02", ["health", "schedule"],
                    at: "2026-03-02T09:00:00Z"),
                memory(.event, "Has a haircut on 2026-03-11", ["schedule"], at: "2026-03-11T09:00:00Z", from: [1]),
            ])
    }

    @Test func pastEventsAreNotSchedule() {
        let found = extract("I went to the dentist yesterday. I have a dentist appointment tomorrow.")
        #expect(found.map(\.categories) == [["health"], ["health", "schedule"]])
    }

    @Test func categoriesComeFromTheFixedVocabulary() {
        let vocabulary: Set = [
            "preferences", "food", "work", "location", "family", "health", "travel", "schedule", "hobbies", "skills",
            "tools", "personal",
        ]
        let conversations = ExtractionTableTests.conversations.flatMap(\.messages)
        let found = extract(conversations)
        #expect(!found.isEmpty)
        for memory in found {
            #expect(!memory.categories.isEmpty)
            #expect(Set(memory.categories).isSubset(of: vocabulary))
            #expect(!memory.categories.contains("personal") || memory.categories == ["personal"])
        }
    }

    @Test func encodesHappenedAtInSnakeCase() throws {
        let original = memory(.event, "Flight is on 2026-05-03", ["travel", "schedule"], at: "2026-05-03T09:00:00Z")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(original), as: UTF8.self)
        #expect(
            json
                == #"{"categories":["travel","schedule"],"happened_at":"2026-05-03T09:00:00Z","message_indices":[0],"text":"Flight is on 2026-05-03","type":"event"}"#
        )
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(ExtractedMemory.self, from: Data(json.utf8)) == original)
    }

    /// Items stored before `message_indices` existed still decode, with no indices.
    @Test func decodesWithoutMessageIndices() throws {
        let json = #"{"categories":["location"],"text":"Lives in Lyon","type":"profile"}"#
        let decoded = try JSONDecoder().decode(ExtractedMemory.self, from: Data(json.utf8))
        #expect(decoded == ExtractedMemory(type: .profile, text: "Lives in Lyon", categories: ["location"], happenedAt: nil))
        #expect(decoded.messageIndices.isEmpty)
    }

    @Test func messageIndicesPointAtTheMessagesRead() {
        let messages = [
            system("I live in Paris."),
            user("hey"),
            assistant("Hi! I like jazz."),
            user("I like tea. My sister lives in Lyon."),
            user("I'm a nurse."),
        ]
        #expect(extract(messages).map(\.messageIndices) == [[3], [3], [4]])
    }

    /// With a speaker name the name is the subject; without one the subject is left out.
    @Test(arguments: [
        ("I like green tea.", "Caroline likes green tea", "Likes green tea"),
        ("I went to a pride parade yesterday.", "Caroline went to a pride parade on 2026-03-09", "Went to a pride parade on 2026-03-09"),
        ("My sister lives in Lyon.", "Caroline's sister lives in Lyon", "Sister lives in Lyon"),
        ("I'm called Caro.", "Caroline's name is Caro", "Name is Caro"),
        ("I'm 34.", "Caroline is 34 years old", "Is 34 years old"),
        ("Remind me to call mom on Friday.", "Caroline needs to call mom on 2026-03-13", "Needs to call mom on 2026-03-13"),
        ("Remember that the wifi password is hunter2.", "The wifi password is hunter2", "The wifi password is hunter2"),
    ])
    func speakerNameIsTheSubject(_ says: String, _ named: String, _ anonymous: String) {
        #expect(extract([user(says, name: "Caroline")]).map(\.text) == [named])
        #expect(extract([user(says)]).map(\.text) == [anonymous])
    }

    /// Each speaker's statements carry their own name, so two people saying the same thing
    /// are two memories.
    @Test func speakersAreKeptApart() {
        let messages = [
            user("I like green tea.", name: "Caroline"),
            user("I like green tea.", name: "Melanie"),
            user("I like green tea.", name: "  Caroline "),
        ]
        #expect(
            extract(messages) == [
                memory(.profile, "Caroline likes green tea", ["preferences", "food"], from: [0, 2]),
                memory(.profile, "Melanie likes green tea", ["preferences", "food"], from: [1]),
            ])
    }
}
