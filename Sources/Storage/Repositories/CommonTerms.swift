/// Leaving a query's common terms out of a search by words. A term found in more than
/// `frequency` of a table's rows says little about which row is meant, and an OR of such
/// terms matches most of a large collection, every match of which is then ranked (1.2 s
/// at 100,000 documents, docs/benchmarks.md). How common a term is comes from ANALYZE's
/// most common elements of the tables' `lexemes` (a term not among them is rare); when
/// every term is common, the rarest is kept.
enum CommonTerms {
    static let frequency = 0.05

    /// CTEs `common`, `weighed` and `kept` (column `term`) over a CTE `terms` (column
    /// `term`, distinct) defined before them; a term's frequency is its highest in any of
    /// `tables` (our own identifiers).
    static func kept(tables: [String]) -> String {
        let names = tables.map { "'\($0)'" }.joined(separator: ", ")
        return """
            common AS (
                SELECT m.term, max(m.frequency) AS frequency FROM pg_stats s
                CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(term, frequency)
                WHERE s.schemaname = current_schema() AND s.tablename IN (\(names)) AND s.attname = 'lexemes'
                  AND m.term IS NOT NULL
                GROUP BY m.term
            ),
            weighed AS (
                SELECT t.term, coalesce(c.frequency, 0) AS frequency,
                       row_number() OVER (ORDER BY coalesce(c.frequency, 0), t.term) AS rarity
                FROM terms t LEFT JOIN common c USING (term)
            ),
            kept AS (SELECT term FROM weighed WHERE frequency <= \(frequency) OR rarity = 1)
            """
    }

    /// A tsquery OR-ing the rows of `kept`, each term quoted.
    static let disjunction = "string_agg('''' || replace(replace(term, '\\', '\\\\'), '''', '''''') || '''', ' | ')::tsquery"
}
