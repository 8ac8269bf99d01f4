extension Migration {
    /// pgvector, tenants, hashed API keys, jobs.
    static let v1Foundation = Migration(version: 1, name: "foundation", statements: [
        "CREATE EXTENSION IF NOT EXISTS vector",
        """
        CREATE TABLE tenants (
            id          text PRIMARY KEY,
            name        text NOT NULL,
            settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE api_keys (
            id            uuid PRIMARY KEY,
            tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            name          text NOT NULL DEFAULT '',
            -- The first characters of the key, shown in listings; the key itself is never stored.
            prefix        text NOT NULL,
            key_hash      bytea NOT NULL UNIQUE,
            scopes        text[] NOT NULL DEFAULT '{}',
            created_at    timestamptz NOT NULL DEFAULT now(),
            last_used_at  timestamptz,
            revoked_at    timestamptz
        )
        """,
        "CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id)",
        """
        CREATE TABLE jobs (
            id           text PRIMARY KEY,
            tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            type         text NOT NULL,
            status       text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead_lettered')),
            attempts     integer NOT NULL DEFAULT 0,
            error        text,
            result       jsonb,
            parent_id    text REFERENCES jobs(id) ON DELETE CASCADE,
            created_at   timestamptz NOT NULL DEFAULT now(),
            updated_at   timestamptz NOT NULL DEFAULT now(),
            finished_at  timestamptz
        )
        """,
        "CREATE INDEX jobs_tenant_created_idx ON jobs (tenant_id, created_at DESC)",
        "CREATE INDEX jobs_parent_idx ON jobs (parent_id) WHERE parent_id IS NOT NULL",
    ])
}
