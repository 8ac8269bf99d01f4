extension Migration {
    /// What the extractor (an LLM) answered for a memorize job, kept so that a redelivered
    /// job reuses the answer instead of calling (and paying) the model again.
    static let v10Extractions = Migration(version: 10, name: "extractions", statements: [
        """
        CREATE TABLE job_extractions (
            tenant_id text NOT NULL REFERENCES tenants (id),
            job_id text NOT NULL,
            user_id text NOT NULL,
            extractor text NOT NULL,
            memories jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, job_id)
        )
        """,
        "CREATE INDEX job_extractions_age ON job_extractions (tenant_id, created_at)",
        "CREATE INDEX job_extractions_user ON job_extractions (tenant_id, user_id)",
    ])
}
