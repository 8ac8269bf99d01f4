extension Migration {
    /// `memory_messages.context` was added to v7 after v7 had shipped: a database that
    /// applied the earlier v7 lacks it, and every memorize failed there ("column context
    /// does not exist"). This adds it where missing; elsewhere it changes nothing.
    static let v12MessageContext = Migration(version: 12, name: "message_context", statements: [
        "ALTER TABLE memory_messages ADD COLUMN IF NOT EXISTS context text",
    ])
}
