extension Migration {
    /// Backfill checkpoints: one row per backfill and one per published chunk. A chunk's
    /// outcome is its embed job's `jobs` row (kept current by the embedding workers), so
    /// progress survives the CLI crashing and a re-run skips what is done.
    static let v6Backfills = Migration(version: 6, name: "backfills", statements: [
        """
        CREATE TABLE backfills (
            tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id               text NOT NULL,
            -- What was read (e.g. jsonl:/data/rows.jsonl) and a digest of it with the chunk
            -- size: a re-run under the same id must read the same thing the same way.
            source           text NOT NULL,
            fingerprint      text NOT NULL,
            chunk_size       integer NOT NULL CHECK (chunk_size BETWEEN 1 AND 1024),
            -- publishing → published (every chunk confirmed by the broker).
            state            text NOT NULL DEFAULT 'publishing' CHECK (state IN ('publishing', 'published')),
            -- Valid items, known once the source was read to its end.
            total_items      bigint,
            invalid_items    bigint NOT NULL DEFAULT 0,
            -- The first rejected inputs, [{"line": n, "error": "…"}], for the status page.
            invalid_samples  jsonb NOT NULL DEFAULT '[]'::jsonb,
            created_at       timestamptz NOT NULL DEFAULT now(),
            updated_at       timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id)
        )
        """,
        """
        CREATE TABLE backfill_chunks (
            tenant_id     text NOT NULL,
            backfill_id   text NOT NULL,
            chunk         integer NOT NULL,
            -- Derived from (tenant, backfill, chunk): re-publishing after a crash is the same job.
            job_id        text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            items         integer NOT NULL,
            -- SHA-256 of the chunk's ids and texts: a re-run whose source changed is refused.
            content_hash  text NOT NULL,
            -- Set once the broker confirmed the publish; NULL = publish again on resume.
            published_at  timestamptz,
            PRIMARY KEY (tenant_id, backfill_id, chunk),
            FOREIGN KEY (tenant_id, backfill_id) REFERENCES backfills (tenant_id, id) ON DELETE CASCADE
        )
        """,
        "CREATE UNIQUE INDEX backfill_chunks_job ON backfill_chunks (job_id)",
    ])
}
