public import Logging
public import PostgresNIO
import Synchronization

/// Leaving a query's common terms out of a search by words. A term found in more than
/// `frequency` of a table's rows says little about which row is meant, and an OR of such
/// terms matches most of a large collection, every match of which is then ranked (1.2 s
/// at 100,000 documents, docs/benchmarks.md). How common a term is comes from ANALYZE's
/// most common elements of the tables' `lexemes` (a term not among them is rare); when
/// every term of a query is common, the rarest is kept, to rank the rows found by vector
/// (`selective`).
///
/// Searches take the common terms as a parameter: reading `pg_stats` inside each search
/// cost 3–4 ms of planning and execution (`CommonTermsCache` keeps them between searches).
public enum CommonTerms {
    static let frequency = 0.05

    /// The tables whose statistics decide.
    public enum Collection: String, Sendable, Hashable {
        case documents
        case memory

        var tables: [String] {
            switch self {
            case .documents: ["documents"]
            case .memory: ["memory_items", "memory_messages"]
            }
        }
    }

    /// The terms found in more than `frequency` of the rows of any of the collection's
    /// tables, with their highest frequency; empty until ANALYZE has run.
    public static func load(_ collection: Collection, client: PostgresClient, logger: Logger) async throws -> [String: Double] {
        let rows = try await client.query("""
            SELECT m.term, max(m.frequency)::float8 FROM pg_stats s
            CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(term, frequency)
            WHERE s.schemaname = current_schema() AND s.tablename = ANY(\(collection.tables)) AND s.attname = 'lexemes'
              AND m.term IS NOT NULL AND m.frequency > \(frequency)
            GROUP BY m.term
            """, logger: logger)
        var terms: [String: Double] = [:]
        for try await (term, frequency) in rows.decode((String, Double).self) { terms[term] = frequency }
        return terms
    }

    /// CTEs `weighed` and `kept` (column `term`) over a CTE `terms` (column `term`,
    /// distinct) defined before them; `bind` adds a parameter and returns its placeholder.
    static func kept(_ common: [String: Double], bind: (any PostgresDynamicTypeEncodable) -> String) -> String {
        let terms = common.keys.sorted()
        return """
            weighed AS (
                SELECT t.term, coalesce(c.frequency, 0) AS frequency,
                       row_number() OVER (ORDER BY coalesce(c.frequency, 0), t.term) AS rarity
                FROM terms t LEFT JOIN unnest(\(bind(terms))::text[], \(bind(terms.map { common[$0]! }))::float8[]) AS c(term, frequency)
                     USING (term)
            ),
            kept AS (SELECT term FROM weighed WHERE frequency <= \(frequency) OR rarity = 1)
            """
    }

    /// Whether any term of `weighed` is rare enough to find rows by; when none is, the
    /// kept term matches too many rows to pick any (the first of thousands would be
    /// arbitrary), and it only ranks the rows found by vector.
    static let selective = "(SELECT bool_or(frequency <= \(frequency)) FROM weighed)"

    /// A tsquery OR-ing the rows of `kept`, each term quoted.
    static let disjunction = "string_agg('''' || replace(replace(term, '\\', '\\\\'), '''', '''''') || '''', ' | ')::tsquery"
}

/// The common terms of each collection, re-read from the statistics at most every
/// `refresh` (ANALYZE changes them rarely).
public final class CommonTermsCache: Sendable {
    private let refresh: Duration
    private let cached = Mutex<[CommonTerms.Collection: (terms: [String: Double], read: ContinuousClock.Instant)]>([:])

    public init(refresh: Duration = .seconds(60)) {
        self.refresh = refresh
    }

    public func terms(_ collection: CommonTerms.Collection, client: PostgresClient, logger: Logger) async throws -> [String: Double] {
        let now = ContinuousClock.now
        if let entry = cached.withLock({ $0[collection] }), now - entry.read < refresh { return entry.terms }
        let terms = try await CommonTerms.load(collection, client: client, logger: logger)
        cached.withLock { $0[collection] = (terms, now) }
        return terms
    }
}
