/// The kind of a memory item, as in memU.
public enum MemoryType: String, Codable, Hashable, Sendable, CaseIterable {
    /// A stable fact about the user: name, age, home, work, family, likes and dislikes.
    case profile
    /// Something that happens or happened at a time: appointments, trips, to-dos.
    case event
    /// A fact about the world the user asked to have remembered.
    case knowledge
    /// A habit or routine: what the user usually, always or every morning does.
    case behavior
    /// Something the user can do: abilities and languages.
    case skill
    /// Software or a device the user works with.
    case tool
}
