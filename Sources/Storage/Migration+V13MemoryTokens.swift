extension Migration {
    /// Memory-aware chat injects the user's memories into the prompt; the tokens they
    /// took are metered apart from the caller's own prompt (a subset of `prompt_tokens`).
    static let v13MemoryTokens = Migration(version: 13, name: "memory_tokens", statements: [
        "ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS memory_tokens integer NOT NULL DEFAULT 0",
    ])
}
