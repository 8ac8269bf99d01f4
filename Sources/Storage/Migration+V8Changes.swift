extension Migration {
    /// Memories that change: validity windows and supersession, the application's own
    /// metadata, every item's history, an outbox of change events, and webhook
    /// subscriptions.
    static let v8Changes = Migration(version: 8, name: "changes", statements: [
        // When the fact became true as far as memgrid knows (the conversation's time), and
        // until when: NULL while current, else the `valid_from` of the item that replaced it.
        "ALTER TABLE memory_items ADD COLUMN valid_from timestamptz",
        "UPDATE memory_items SET valid_from = created_at",
        "ALTER TABLE memory_items ALTER COLUMN valid_from SET NOT NULL, ALTER COLUMN valid_from SET DEFAULT now()",
        "ALTER TABLE memory_items ADD COLUMN valid_until timestamptz",
        "ALTER TABLE memory_items ADD COLUMN superseded_by text",
        // The single-valued thing the item states (`residence`, `favorite:color`), when known:
        // a newer item of the same slot supersedes it.
        "ALTER TABLE memory_items ADD COLUMN slot text",
        "ALTER TABLE memory_items ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb",
        "CREATE INDEX memory_items_current_slot ON memory_items (tenant_id, user_id, slot) WHERE slot IS NOT NULL AND valid_until IS NULL",
        // One row per change of an item, kept after the item is deleted (so its history
        // still answers) until the user is erased.
        """
        CREATE TABLE memory_item_history (
            id          bigserial PRIMARY KEY,
            tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id     text NOT NULL,
            item_id     text NOT NULL,
            action      text NOT NULL CHECK (action IN
                        ('created', 'reinforced', 'edited', 'superseded', 'restored', 'consolidated', 'expired', 'deleted')),
            text        text NOT NULL,
            at          timestamptz NOT NULL DEFAULT now(),
            job_id      text,
            request_id  text,
            -- The newer item (superseded), the surviving one (consolidated).
            related_id  text
        )
        """,
        "CREATE INDEX memory_item_history_item ON memory_item_history (tenant_id, item_id, id)",
        "CREATE INDEX memory_item_history_user ON memory_item_history (tenant_id, user_id)",
        // Change events written in the transaction of the change and published by the
        // proactive worker's relay: a change is never committed without its event.
        """
        CREATE TABLE event_outbox (
            id            bigserial PRIMARY KEY,
            event_id      text NOT NULL UNIQUE,
            tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            -- The AMQP type (`memory.updated.v1`) and routing key (`memory.updated`).
            type          text NOT NULL,
            routing_key   text NOT NULL,
            body          text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now()
        )
        """,
        // The event types each tenant's webhook receives.
        "ALTER TABLE tenant_webhooks ADD COLUMN events text[] NOT NULL DEFAULT '{proactive.reminder}'",
        // Erasure finds documents stored for a user by their metadata.
        "CREATE INDEX documents_user ON documents (tenant_id, (metadata->>'user_id')) WHERE metadata ? 'user_id'",
    ])
}
