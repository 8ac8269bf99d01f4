import Contracts
import Memory
import Testing

/// One conversation and every memory the extractor must find in it, in order.
struct Conversation: Sendable, CustomTestStringConvertible {
    var name: String
    var zone = "UTC"
    var messages: [MemorizeJob.Message]
    var expected: [ExtractedMemory]

    var testDescription: String { "\(name) [\(zone)]" }

    init(_ name: String, zone: String = "UTC", _ messages: [MemorizeJob.Message], _ expected: [ExtractedMemory]) {
        self.name = name
        self.zone = zone
        self.messages = messages
        self.expected = expected
    }

    init(_ name: String, zone: String = "UTC", _ content: String, _ expected: [ExtractedMemory]) {
        self.init(name, zone: zone, [user(content)], expected)
    }
}

@Suite("Extraction table")
struct ExtractionTableTests {
    /// Reference: 2026-03-10T14:00:00Z, a Tuesday (22:00 in Asia/Shanghai).
    static let conversations: [Conversation] = [
        // Profile
        Conversation(
            "introduction",
            [
                user("Hi! My name is Ana. I'm a nurse at St. Mary's hospital."),
                assistant("Nice to meet you, Ana! I love nurses."),
            ],
            [
                memory(.profile, "Name is Ana", ["personal"]),
                memory(.profile, "Is a nurse at St. Mary's hospital", ["work", "health"]),
            ]),
        Conversation(
            "home and origin", "I live in Lisbon. I'm from Porto originally.",
            [
                memory(.profile, "Lives in Lisbon", ["location"]),
                memory(.profile, "Is from Porto originally", ["location"]),
            ]),
        Conversation(
            "work", "I work at Acme as a backend engineer.",
            [memory(.profile, "Works at Acme as a backend engineer", ["work"])]),
        Conversation("age", "I'm 34 years old.", [memory(.profile, "Is 34 years old", ["personal"])]),
        Conversation(
            "diet and allergy", "I'm vegetarian. I'm allergic to shellfish.",
            [
                memory(.profile, "Is vegetarian", ["food"]),
                memory(.profile, "Is allergic to shellfish", ["health"]),
            ]),
        Conversation(
            "family and possessions", "My sister lives in Lyon. I have two kids.",
            [
                memory(.profile, "Sister lives in Lyon", ["location", "family"]),
                memory(.profile, "Has two kids", ["family"]),
            ]),
        Conversation(
            "birthday kept as written", "My birthday is on June 5.",
            [memory(.profile, "Birthday is on June 5", ["personal"])]),
        Conversation(
            // Not Shanghai: China kept daylight saving time until 1991.
            "born on a date", zone: "Asia/Tokyo", "I was born on May 3, 1990.",
            [memory(.profile, "Was born on 1990-05-03", ["personal"], at: "1990-05-03T00:00:00Z")]),

        // Preferences
        Conversation(
            "preference with comparison", "I prefer green tea over coffee.",
            [memory(.profile, "Prefers green tea over coffee", ["preferences", "food"])]),
        Conversation(
            "dislike and filler adverb", "I don't like spicy food. Honestly I really love hiking.",
            [
                memory(.profile, "Does not like spicy food", ["preferences", "food"]),
                memory(.profile, "Loves hiking", ["preferences", "hobbies"]),
            ]),
        Conversation(
            "favorite", "My favorite color is blue.",
            [memory(.profile, "Favorite color is blue", ["preferences"])]),

        // Behavior
        Conversation(
            "frequency adverb", "I usually go to the gym at 7am.",
            [memory(.behavior, "Usually goes to the gym at 7am", ["hobbies"])]),
        Conversation(
            "leading habit phrase", "Every morning, I drink a glass of water.",
            [memory(.behavior, "Drinks a glass of water every morning", ["food"])]),
        Conversation(
            "weekend habit", "On weekends I go hiking with my sister.",
            [memory(.behavior, "Goes hiking with their sister on weekends", ["family", "hobbies"])]),
        Conversation(
            "routine from a clock time", "I wake up at 6am.",
            [memory(.behavior, "Wakes up at 6am", ["personal"])]),

        // Skills and tools
        Conversation(
            "skills", "I can play the guitar. I speak Spanish and French. I know how to bake sourdough bread.",
            [
                memory(.skill, "Can play the guitar", ["hobbies", "skills"]),
                memory(.skill, "Speaks Spanish and French", ["skills"]),
                memory(.skill, "Knows how to bake sourdough bread", ["food", "skills"]),
            ]),
        Conversation(
            "tool", "I use Notion for my notes.",
            [memory(.tool, "Uses Notion for their notes", ["tools"])]),

        // Events
        Conversation(
            "appointment tomorrow", "I have a dentist appointment tomorrow at 3pm.",
            [
                memory(
                    .event, "Has a dentist appointment on 2026-03-11 at 15:00", ["health", "schedule"],
                    at: "2026-03-11T15:00:00Z")
            ]),
        Conversation(
            "appointment tomorrow", zone: "Asia/Shanghai", "I have a dentist appointment tomorrow at 3pm.",
            [
                memory(
                    .event, "Has a dentist appointment on 2026-03-11 at 15:00", ["health", "schedule"],
                    at: "2026-03-11T07:00:00Z")
            ]),
        Conversation(
            "reminder on a weekday", "Remind me to call mom on Friday.",
            [memory(.event, "Needs to call mom on 2026-03-13", ["family", "schedule"], at: "2026-03-13T09:00:00Z")]),
        Conversation(
            "reminder on a weekday", zone: "Asia/Shanghai", "Remind me to call mom on Friday.",
            [memory(.event, "Needs to call mom on 2026-03-13", ["family", "schedule"], at: "2026-03-13T01:00:00Z")]),
        Conversation(
            "flight on a month and day", "My flight is on May 3.",
            [memory(.event, "Flight is on 2026-05-03", ["travel", "schedule"], at: "2026-05-03T09:00:00Z")]),
        Conversation(
            "next Monday at a time", "I'm flying to Tokyo next Monday at 9:30am.",
            [
                memory(
                    .event, "Is flying to Tokyo on 2026-03-16 at 09:30", ["travel", "schedule"],
                    at: "2026-03-16T09:30:00Z")
            ]),
        Conversation(
            "past weekday", "I went running last Friday.",
            [memory(.event, "Went running on 2026-03-06", ["hobbies"], at: "2026-03-06T09:00:00Z")]),
        Conversation(
            "in three days", "I have a meeting in 3 days.",
            [memory(.event, "Has a meeting on 2026-03-13", ["work", "schedule"], at: "2026-03-13T09:00:00Z")]),
        Conversation(
            "in two hours across midnight", zone: "Asia/Shanghai", "I need to submit the report in 2 hours.",
            [
                memory(
                    .event, "Needs to submit the report on 2026-03-11 at 00:00", ["schedule"],
                    at: "2026-03-10T16:00:00Z")
            ]),
        Conversation(
            "clock time still ahead", "I have a call at 5pm.",
            [memory(.event, "Has a call on 2026-03-10 at 17:00", ["schedule"], at: "2026-03-10T17:00:00Z")]),
        Conversation(
            "clock time already past", zone: "Asia/Shanghai", "I have a call at 5pm.",
            [memory(.event, "Has a call on 2026-03-11 at 17:00", ["schedule"], at: "2026-03-11T09:00:00Z")]),
        Conversation(
            "tonight", "I'll call my dad tonight.",
            [
                memory(
                    .event, "Will call their dad on 2026-03-10 at night", ["family", "schedule"],
                    at: "2026-03-10T20:00:00Z")
            ]),
        Conversation(
            "leading time phrase", "Tomorrow I have a job interview at noon.",
            [
                memory(
                    .event, "Has a job interview on 2026-03-11 at 12:00", ["work", "schedule"],
                    at: "2026-03-11T12:00:00Z")
            ]),
        Conversation(
            "ISO date", "I have an exam on 2026-04-02.",
            [memory(.event, "Has an exam on 2026-04-02", ["work", "schedule"], at: "2026-04-02T09:00:00Z")]),
        Conversation(
            "ordinal day of month", "I'm seeing the doctor on the 3rd of April at 10:15.",
            [
                memory(
                    .event, "Is seeing the doctor on 2026-04-03 at 10:15", ["health", "schedule"],
                    at: "2026-04-03T10:15:00Z")
            ]),
        Conversation(
            "deadline keeps its preposition", "Don't let me forget to pay rent by Friday.",
            [memory(.event, "Needs to pay rent by 2026-03-13", ["schedule"], at: "2026-03-13T09:00:00Z")]),
        Conversation(
            "date already past this year", "My exam is on Jan 5.",
            [memory(.event, "Exam is on 2027-01-05", ["work", "schedule"], at: "2027-01-05T09:00:00Z")]),
        Conversation(
            "past tense looks back",
            "I visited Rome on Jan 5. I went to the gym on Tuesday. I have a meeting on Tuesday.",
            [
                memory(.event, "Visited Rome on 2026-01-05", ["personal"], at: "2026-01-05T09:00:00Z"),
                memory(.event, "Went to the gym on 2026-03-03", ["hobbies"], at: "2026-03-03T09:00:00Z"),
                memory(.event, "Has a meeting on 2026-03-17", ["work", "schedule"], at: "2026-03-17T09:00:00Z"),
            ]),
        Conversation(
            "ambiguous numeric date", "My flight is on 5/3.",
            [memory(.event, "Flight is on 5/3", ["travel", "schedule"])]),
        Conversation(
            "vague time", "I'm moving to Berlin next month.",
            [memory(.event, "Is moving to Berlin next month", ["location", "schedule"])]),
        Conversation(
            "a range is not one time", "I'm traveling from Monday to Friday.",
            [memory(.event, "Is traveling from Monday to Friday", ["travel", "schedule"])]),
        Conversation(
            "half-hour zone", zone: "Asia/Kolkata", "I have a call at 9pm.",
            [memory(.event, "Has a call on 2026-03-10 at 21:00", ["schedule"], at: "2026-03-10T15:30:00Z")]),
        Conversation(
            "behind UTC: local date differs", zone: "Pacific/Honolulu",
            "I have a dentist appointment tomorrow at 3pm. I have a call at 5pm.",
            [
                memory(
                    .event, "Has a dentist appointment on 2026-03-11 at 15:00", ["health", "schedule"],
                    at: "2026-03-12T01:00:00Z"),
                memory(.event, "Has a call on 2026-03-10 at 17:00", ["schedule"], at: "2026-03-11T03:00:00Z"),
            ]),
        Conversation(
            "quarter-hour zone, part of day", zone: "Asia/Kathmandu", "Remind me to stretch tomorrow morning.",
            [
                memory(
                    .event, "Needs to stretch on 2026-03-11 in the morning", ["schedule"], at: "2026-03-11T03:15:00Z")
            ]),

        // Knowledge and explicit requests
        Conversation(
            "knowledge", "Remember that the wifi password is hunter2.",
            [memory(.knowledge, "The wifi password is hunter2", ["personal"])]),
        Conversation(
            "remembered first-person fact", "Please remember that I'm allergic to peanuts.",
            [memory(.profile, "Is allergic to peanuts", ["food", "health"])]),

        // What people say about themselves: done, doing, feeling, planning
        Conversation(
            "past action with a time, clause after 'and it' dropped",
            "I went to a LGBTQ support group yesterday and it was so powerful.",
            [memory(.event, "Went to a LGBTQ support group on 2026-03-09", ["personal"], at: "2026-03-09T09:00:00Z")]),
        Conversation(
            "state with what it is about", "I'm swamped with the kids & work.",
            [memory(.event, "Is swamped with the kids & work", ["work", "family"])]),
        Conversation(
            "subject left out, then a plan after 'so'",
            "Lost my job as a banker yesterday, so I'm gonna take a shot at starting my own business.",
            [
                memory(.event, "Lost their job as a banker on 2026-03-09", ["work"], at: "2026-03-09T09:00:00Z"),
                memory(.event, "Is gonna take a shot at starting their own business", ["schedule"]),
            ]),
        Conversation(
            "subordinate clause read alone", "Since I lost my job at Door Dash, things have been tough.",
            [memory(.event, "Lost their job at Door Dash", ["work"])]),
        Conversation(
            "ongoing activity", "I've been running farther to de-stress. I volunteer at the animal shelter.",
            [
                memory(.behavior, "Has been running farther to de-stress", ["hobbies"]),
                memory(.behavior, "Volunteers at the animal shelter", ["personal"]),
            ]),
        Conversation(
            "present perfect and goals", "I've been to Paris twice. I want to become a counselor.",
            [
                memory(.event, "Has been to Paris twice", ["personal"]),
                memory(.profile, "Wants to become a counselor", ["personal"]),
            ]),
        Conversation(
            "plan and arrangement", "I'm planning to adopt a dog. I'm putting together an art show next month.",
            [
                memory(.event, "Is planning to adopt a dog", ["schedule"]),
                memory(.event, "Is putting together an art show next month", ["schedule"]),
            ]),
        Conversation(
            "family: what happened, what they like", "My son got into an accident last weekend. My kids love the beach.",
            [
                memory(.event, "Son got into an accident last weekend", ["family"]),
                memory(.profile, "Kids love the beach", ["family"]),
            ]),
        Conversation(
            "two clauses, two memories", "I like tea and I live in Lisbon.",
            [
                memory(.profile, "Likes tea", ["preferences", "food"]),
                memory(.profile, "Lives in Lisbon", ["location"]),
            ]),
        Conversation(
            "speaker names are the subject",
            [
                user("Hey Mel! I went to a pride parade yesterday.", name: "Caroline"),
                user("That's awesome, I'm so happy for you! My kids love the beach.", name: "Melanie"),
                assistant("Noted."),
                user("I'm swamped with the kids & work.", name: "Melanie"),
            ],
            [
                memory(.event, "Caroline went to a pride parade on 2026-03-09", ["personal"], at: "2026-03-09T09:00:00Z"),
                memory(.profile, "Melanie's kids love the beach", ["family"], from: [1]),
                memory(.event, "Melanie is swamped with the kids & work", ["work", "family"], from: [3]),
            ]),

        // Noise
        Conversation(
            "chat with noise",
            [
                system("You are a helpful assistant. I like tea."),
                user("hey"),
                assistant("Hi! How can I help? I live in Paris."),
                user("What's the weather like tomorrow?"),
                user("Thanks! I love it."),
                tool("{\"result\": \"I work at Google\"}"),
                user("I'm vegetarian."),
            ],
            [memory(.profile, "Is vegetarian", ["food"], from: [6])]),
    ]

    @Test(arguments: conversations)
    func extractsExpectedMemories(_ conversation: Conversation) {
        let extracted = extract(conversation.messages, in: conversation.zone)
        #expect(extracted == conversation.expected)
    }

    @Test func tableIsLargeEnough() {
        #expect(Self.conversations.count >= 30)
        let types = Set(Self.conversations.flatMap(\.expected).map(\.type))
        #expect(types == Set(MemoryType.allCases))
    }
}
