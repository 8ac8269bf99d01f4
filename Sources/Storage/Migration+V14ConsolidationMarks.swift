extension Migration {
    /// How far consolidation has compared each user's vectors of a space: a run compares
    /// only vectors written since, so its cost grows with new items instead of with the
    /// square of all of them.
    static let v14ConsolidationMarks = Migration(version: 14, name: "consolidation_marks", statements: [
        """
        CREATE TABLE consolidation_marks (
            tenant_id  text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            user_id    text NOT NULL,
            space_id   text NOT NULL REFERENCES embedding_spaces(id) ON DELETE CASCADE,
            -- Vectors written before this time were compared with all of the user's others.
            compared_through timestamptz NOT NULL,
            -- at this similarity threshold: a lower one needs a full pass again.
            threshold  float8 NOT NULL,
            PRIMARY KEY (tenant_id, user_id, space_id)
        )
        """,
    ])
}
