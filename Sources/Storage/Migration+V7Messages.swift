extension Migration {
    /// Messages as memory: every memorized message verbatim, searchable by vector (target
    /// kind `message` in `embeddings`) and by words (`lexemes`), and the messages each
    /// memory item was extracted from.
    ///
    /// `lexemes` (messages and items) is `to_tsvector('english', memgrid_search_text(text))`,
    /// generated, so every writer keeps it current. `memgrid_search_text` spells runs of
    /// Chinese, Japanese and Korean characters out as single characters and character
    /// pairs (as Lucene's CJK analyzer does): PostgreSQL's parser would keep a whole run
    /// as one word that no query ever matches. Queries go through the same function.
    static let v7Messages = Migration(version: 7, name: "messages", statements: [
        """
        CREATE FUNCTION memgrid_search_text(input text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN regexp_replace(input, '\(Self.cjk)+', ' ', 'g') || coalesce((
            SELECT string_agg(' ' || substr(r.m[1], i, 1) || CASE WHEN i < length(r.m[1]) THEN ' ' || substr(r.m[1], i, 2) ELSE '' END, '')
            FROM regexp_matches(input, '\(Self.cjk)+', 'g') AS r(m), generate_series(1, length(r.m[1])) AS i), '')
        """,
        """
        CREATE TABLE memory_messages (
            -- A UUID, stored as text so it joins `embeddings.target_id`.
            id           text PRIMARY KEY,
            tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id      text NOT NULL,
            agent_id     text,
            -- The client's message id, or one derived from the job id and position.
            message_id   text NOT NULL,
            resource_id  text,
            -- Position in the memorize call that stored it.
            position     integer NOT NULL,
            role         text NOT NULL,
            -- The speaker (OpenAI's `name`), when the client said.
            name         text,
            content      text NOT NULL,
            -- The message before it in the same memorize call ("Speaker: text"), embedded
            -- with it: an answer ("Yes, last week!") means little without its question.
            context      text,
            lexemes      tsvector NOT NULL GENERATED ALWAYS AS (to_tsvector('english', memgrid_search_text(content))) STORED,
            -- When the message was written (its created_at, else the conversation's time).
            sent_at      timestamptz NOT NULL,
            job_id       text NOT NULL,
            created_at   timestamptz NOT NULL DEFAULT now()
        )
        """,
        // A redelivered job stores nothing twice.
        "CREATE UNIQUE INDEX memory_messages_identity ON memory_messages (tenant_id, user_id, coalesce(agent_id, ''), message_id)",
        "CREATE INDEX memory_messages_user_time ON memory_messages (tenant_id, user_id, sent_at)",
        "CREATE INDEX memory_messages_lexemes ON memory_messages USING gin (lexemes)",
        "ALTER TABLE memory_items ADD COLUMN message_ids text[] NOT NULL DEFAULT '{}'",
        """
        ALTER TABLE memory_items ADD COLUMN lexemes tsvector NOT NULL
            GENERATED ALWAYS AS (to_tsvector('english', memgrid_search_text(text))) STORED
        """,
        "CREATE INDEX memory_items_lexemes ON memory_items USING gin (lexemes)",
        "ALTER TABLE embeddings DROP CONSTRAINT embeddings_target_kind_check",
        "ALTER TABLE embeddings ADD CONSTRAINT embeddings_target_kind_check CHECK (target_kind IN ('memory_item', 'document', 'message'))",
    ])

    /// Hiragana, katakana, CJK ideographs (and extension A), Hangul syllables, compatibility ideographs.
    private static let cjk = #"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"#
}
