extension Migration {
    /// Metering of LLM calls, per-tenant budgets, and the alerts already sent for them.
    ///
    /// Periods are UTC calendar periods (`date_trunc` on UTC time; weeks start on Monday).
    static let v4Usage = Migration(version: 4, name: "usage", statements: [
        """
        CREATE TABLE llm_calls (
            id                 bigserial PRIMARY KEY,
            tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            -- The memorize job or chat request the call served.
            job_id             text,
            -- What the call was for: chat, memorize, …
            purpose            text NOT NULL,
            provider           text NOT NULL,
            model              text NOT NULL,
            prompt_tokens      integer NOT NULL DEFAULT 0,
            completion_tokens  integer NOT NULL DEFAULT 0,
            cached_tokens      integer NOT NULL DEFAULT 0,
            cost_usd           numeric(20,9) NOT NULL DEFAULT 0,
            latency_ms         integer NOT NULL,
            -- ok, rate_limited, server_error, timeout, transport_error, rejected,
            -- invalid_response, stream_failed. Not a CHECK: a new outcome in the worker
            -- must never make metering inserts fail.
            outcome            text NOT NULL,
            http_status        integer,
            created_at         timestamptz NOT NULL DEFAULT now()
        )
        """,
        // Every read is one tenant over a time range. Carrying the cost lets budget checks,
        // which may sum a whole month per LLM call, scan the index alone once vacuumed.
        "CREATE INDEX llm_calls_tenant_created_idx ON llm_calls (tenant_id, created_at) INCLUDE (cost_usd)",
        """
        CREATE TABLE tenant_budgets (
            tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            period       text NOT NULL CHECK (period IN ('day', 'week', 'month')),
            limit_usd    numeric(14,4) NOT NULL CHECK (limit_usd > 0),
            -- The share of the limit at which an alert goes out.
            alert_ratio  double precision NOT NULL DEFAULT 0.8 CHECK (alert_ratio > 0 AND alert_ratio <= 1),
            updated_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, period)
        )
        """,
        // One row per alert sent: the key makes each alert go out once per period, however
        // many replicas notice the threshold at the same time.
        """
        CREATE TABLE budget_alerts (
            tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            period        text NOT NULL CHECK (period IN ('day', 'week', 'month')),
            period_start  date NOT NULL,
            threshold     double precision NOT NULL,
            sent_at       timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, period, period_start, threshold)
        )
        """,
    ])
}
