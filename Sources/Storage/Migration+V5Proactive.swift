extension Migration {
    /// The proactive agent: reminders and their firing state machine, tenant webhooks,
    /// debounced summary refreshes, and claimable maintenance runs.
    static let v5Proactive = Migration(version: 5, name: "proactive", statements: [
        """
        CREATE TABLE reminders (
            -- Derived from the memory item (and its stated time), so detecting it twice
            -- schedules it once.
            id            text PRIMARY KEY,
            tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id       text NOT NULL,
            agent_id      text,
            memory_id     text REFERENCES memory_items(id) ON DELETE SET NULL,
            text          text NOT NULL,
            due_at        timestamptz NOT NULL,
            event_at      timestamptz,
            time_zone     text,
            -- scheduled → firing → fired | failed; scheduled → cancelled.
            state         text NOT NULL DEFAULT 'scheduled'
                          CHECK (state IN ('scheduled', 'firing', 'fired', 'failed', 'cancelled')),
            -- Who claimed it and until when: a replica that dies mid-fire loses the
            -- claim when the lease expires, and another fires it.
            lease_owner   text,
            lease_until   timestamptz,
            attempts      integer NOT NULL DEFAULT 0,
            late          boolean NOT NULL DEFAULT false,
            fired_at      timestamptz,
            last_error    text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now()
        )
        """,
        // What the firing loop scans: only open reminders, in due order.
        "CREATE INDEX reminders_open_due ON reminders (due_at) WHERE state IN ('scheduled', 'firing')",
        "CREATE INDEX reminders_user ON reminders (tenant_id, user_id, due_at)",
        """
        CREATE TABLE tenant_webhooks (
            tenant_id   text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
            url         text NOT NULL,
            -- HMAC-SHA256 key for the signature header; shown to the tenant once.
            secret      text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """,
        // One row per user with new memories: the categories touched since the last
        // refresh, and when to refresh (debounced; see SummaryRefreshRepository).
        """
        CREATE TABLE summary_refreshes (
            tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id         text NOT NULL,
            categories      text[] NOT NULL,
            first_event_at  timestamptz NOT NULL,
            due_at          timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, user_id)
        )
        """,
        "CREATE INDEX summary_refreshes_due ON summary_refreshes (due_at)",
        // One row per scheduled run of a maintenance task: the replica that inserts it
        // runs it, so every run happens once however many replicas tick.
        """
        CREATE TABLE maintenance_runs (
            task         text NOT NULL,
            slot         timestamptz NOT NULL,
            claimed_by   text NOT NULL,
            claimed_at   timestamptz NOT NULL DEFAULT now(),
            finished_at  timestamptz,
            units        integer,
            PRIMARY KEY (task, slot)
        )
        """,
    ])
}
