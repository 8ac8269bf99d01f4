/// The category vocabulary, in the order categories are listed. See docs/extraction.md.
public enum MemoryCategory: String, CaseIterable, Sendable {
    case preferences, food, work, location, family, health, travel, schedule, hobbies, skills, tools, personal

    /// Categories whose keywords occur in `words` (lowercase). A word ending in "s" also
    /// matches without its final "s" or "es"; "work out" counts as "workout".
    static func matching(_ words: [String]) -> Set<MemoryCategory> {
        var found: Set<MemoryCategory> = []
        for (index, word) in words.enumerated() {
            var word = word
            if word.hasPrefix("work"), index + 1 < words.count, words[index + 1] == "out" { word = "workout" }
            let singulars = word.hasSuffix("s") ? [String(word.dropLast()), String(word.dropLast(2))] : []
            for candidate in [word] + singulars where candidate.count > 1 {
                if let categories = keywordIndex[candidate] {
                    found.formUnion(categories)
                    break
                }
            }
        }
        return found
    }

    /// The slugs of the categories whose keywords the text mentions, as the rules file a
    /// statement (docs/extraction.md §7); "personal" when none.
    public static func slugs(of text: String) -> [String] {
        slugs(matching(text.lowercased().split { !$0.isLetter && $0 != "'" }.map(String.init)))
    }

    /// Sorted in vocabulary order, as slugs; "personal" when empty.
    static func slugs(_ categories: Set<MemoryCategory>) -> [String] {
        let ordered = allCases.filter(categories.contains).map(\.rawValue)
        return ordered.isEmpty ? [MemoryCategory.personal.rawValue] : ordered
    }

    var keywords: Set<String> {
        switch self {
        case .preferences:
            ["favorite", "favourite", "prefer", "preference", "fan"]
        case .food:
            [
                "food", "eat", "eating", "ate", "cook", "cooking", "breakfast", "lunch", "dinner", "brunch", "meal",
                "snack", "restaurant", "cuisine", "recipe", "tea", "coffee", "espresso", "latte", "pizza", "sushi",
                "pasta", "noodle", "ramen", "rice", "bread", "cheese", "chocolate", "cake", "dessert", "fruit",
                "vegetable", "salad", "soup", "meat", "beef", "pork", "chicken", "fish", "seafood", "shrimp", "egg",
                "milk", "juice", "wine", "beer", "vegetarian", "vegan", "pescatarian", "spicy", "peanut", "nut",
                "gluten", "lactose", "sugar", "burger", "taco", "dumpling", "curry", "steak", "drink", "cocktail",
                "bakery",
            ]
        case .work:
            [
                "work", "working", "worked", "job", "office", "company", "employer", "boss", "colleague", "coworker",
                "manager", "engineer", "developer", "programmer", "designer", "teacher", "nurse", "lawyer",
                "accountant", "student", "university", "college", "school", "meeting", "project", "deadline",
                "career", "client", "startup", "interview", "salary", "intern", "internship", "team", "study",
                "studies", "studying", "professor", "researcher", "scientist", "consultant", "analyst", "architect",
                "chef", "writer", "freelancer", "freelance", "thesis", "exam", "class", "course", "homework",
                "promotion", "shift", "coding", "programming", "teach", "teaching",
            ]
        case .location:
            [
                "live", "lives", "living", "lived", "city", "country", "town", "hometown", "neighborhood",
                "neighbourhood", "apartment", "address", "moving", "relocate", "relocating",
            ]
        case .family:
            [
                "family", "wife", "husband", "partner", "spouse", "son", "daughter", "kid", "child", "children",
                "baby", "mom", "mum", "mother", "dad", "father", "parent", "sister", "brother", "sibling", "grandma",
                "grandmother", "grandpa", "grandfather", "grandparent", "aunt", "uncle", "cousin", "niece", "nephew",
                "married", "wedding", "girlfriend", "boyfriend", "fiance", "fiancee", "twin",
            ]
        case .health:
            [
                "health", "healthy", "doctor", "dentist", "hospital", "clinic", "allergic", "allergy", "allergies",
                "medication", "medicine", "pill", "sick", "ill", "illness", "diabetes", "diabetic", "asthma", "blood",
                "therapy", "therapist", "physio", "physiotherapy", "pain", "headache", "migraine", "pregnant",
                "injury", "surgery", "checkup", "check-up", "vaccine", "vaccination", "vitamin", "insomnia", "sleep",
                "diet", "intolerant", "exercise", "workout", "weight", "cholesterol", "prescription", "symptom",
            ]
        case .travel:
            [
                "travel", "traveling", "travelling", "trip", "flight", "fly", "flies", "flying", "flew", "vacation",
                "holiday", "airport", "hotel", "passport", "visa", "abroad", "cruise", "tour", "journey",
                "backpacking", "luggage",
            ]
        case .schedule:
            ["appointment", "meeting", "deadline", "reminder", "schedule", "calendar", "reservation", "booking"]
        case .hobbies:
            [
                "hobby", "hobbies", "music", "guitar", "piano", "violin", "drums", "sing", "singing", "dance",
                "dancing", "paint", "painting", "draw", "drawing", "read", "reading", "books", "novel", "movie",
                "film", "game", "gaming", "chess", "hike", "hiking", "climbing", "running", "run", "jog", "jogging",
                "swim", "swimming", "cycling", "bike", "biking", "yoga", "gym", "football", "soccer", "basketball",
                "tennis", "golf", "photography", "gardening", "fishing", "camping", "knitting", "jazz", "podcast",
                "anime", "sport", "ski", "skiing", "surf", "surfing", "pilates", "marathon",
            ]
        case .skills:
            ["skill", "fluent", "speak", "certified", "certificate"]
        case .tools:
            [
                "app", "tool", "software", "editor", "ide", "laptop", "notion", "slack", "excel", "xcode", "vim",
                "emacs", "figma", "jira", "github", "trello", "obsidian", "spreadsheet", "vscode", "iphone",
                "android", "macbook", "chatgpt",
            ]
        case .personal:
            []
        }
    }

    private static let keywordIndex: [String: Set<MemoryCategory>] = {
        var index: [String: Set<MemoryCategory>] = [:]
        for category in allCases {
            for keyword in category.keywords { index[keyword, default: []].insert(category) }
        }
        return index
    }()
}
