extension Migration {
    /// Memory items, their categories, and job timing.
    ///
    /// An item's vector lives in `embeddings` (target kind `memory_item`, target id = the
    /// item id as text), so re-embedding into a new space never touches the items.
    static let v3Memory = Migration(version: 3, name: "memory", statements: [
        """
        CREATE TABLE memory_items (
            -- A UUID, stored as text so it joins `embeddings.target_id` through both indexes.
            id                   text PRIMARY KEY,
            tenant_id            text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id              text NOT NULL,
            -- NULL: shared by every agent of the user.
            agent_id             text,
            type                 text NOT NULL CHECK (type IN ('profile', 'event', 'knowledge', 'behavior', 'skill', 'tool')),
            text                 text NOT NULL,
            -- SHA-256 (hex) of the normalized text: a repeated fact reinforces, never duplicates.
            content_hash         text NOT NULL,
            categories           text[] NOT NULL DEFAULT '{}',
            happened_at          timestamptz,
            reinforcement_count  integer NOT NULL DEFAULT 1,
            extra                jsonb NOT NULL DEFAULT '{}'::jsonb,
            resource_id          text,
            source_job_id        text,
            created_at           timestamptz NOT NULL DEFAULT now(),
            updated_at           timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE UNIQUE INDEX memory_items_identity ON memory_items (tenant_id, user_id, coalesce(agent_id, ''), content_hash)",
        // Listing pages walk (created_at, id) backwards per user.
        "CREATE INDEX memory_items_user_created ON memory_items (tenant_id, user_id, created_at DESC, id DESC)",
        """
        CREATE TABLE memory_categories (
            tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id           text NOT NULL,
            name              text NOT NULL,
            summary           text,
            -- The items the summary was written from.
            summary_item_ids  text[] NOT NULL DEFAULT '{}',
            updated_at        timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, user_id, name)
        )
        """,
        // One row per (item, job that stated it): the reinforcement count is their number,
        // so a redelivered memorize job never reinforces twice.
        """
        CREATE TABLE memory_item_sources (
            item_id     text NOT NULL REFERENCES memory_items(id) ON DELETE CASCADE,
            job_id      text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (item_id, job_id)
        )
        """,
        "ALTER TABLE jobs ADD COLUMN started_at timestamptz",
        "ALTER TABLE jobs ADD COLUMN user_id text",
    ])
}
