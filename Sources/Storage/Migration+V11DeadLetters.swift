extension Migration {
    /// Dead letters as the gateway's recorder took them off the dead-letter queues: the
    /// admin API and `memgrid dlq` browse, replay and purge here, never by rewriting a
    /// queue. `tenant_id` has no foreign key: a message from another publisher may name
    /// no tenant, or one that does not exist.
    static let v11DeadLetters = Migration(version: 11, name: "dead_letters", statements: [
        """
        CREATE TABLE dead_letters (
            seq bigserial PRIMARY KEY,
            fingerprint text NOT NULL UNIQUE,
            queue text NOT NULL,
            dead_letter_queue text NOT NULL,
            message_id text,
            type text,
            tenant_id text,
            reason text,
            error text,
            original_exchange text,
            original_routing_key text,
            attempt integer,
            replays bigint NOT NULL DEFAULT 0,
            dead_lettered_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            properties jsonb NOT NULL,
            body bytea NOT NULL
        )
        """,
        "CREATE INDEX dead_letters_tenant ON dead_letters (tenant_id, dead_lettered_at, seq)",
        "CREATE INDEX dead_letters_message ON dead_letters (message_id)",
    ])
}
