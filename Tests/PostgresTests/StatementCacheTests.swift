import Foundation
import Postgres
import Testing
import TestSupport

@Suite("The per-connection statement cache")
struct StatementCacheTests {
    /// The statements this session holds prepared, by text.
    private func prepared(_ connection: PostgresConnection) async throws -> Set<String> {
        // Itself prepared once it runs, so it is left out of what it reports.
        Set(try await connection.query("""
            SELECT statement FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'
            """).column(String.self))
    }

    @Test("a statement without parameters is prepared once and reused")
    func parameterlessStatementsArePrepared() async throws {
        let list: PostgresQuery = "SELECT g FROM generate_series(1, 10) g ORDER BY g DESC LIMIT \(literal: 3)"
        let statements = try await TestDatabase.withConnection(migrated: false) { connection throws -> Set<String> in
            for _ in 0..<3 {
                let rows = try await connection.query(list).column(Int.self)
                #expect(rows == [10, 9, 8])
            }
            return try await prepared(connection)
        }
        #expect(statements == [list.sql])
    }

    @Test("a full cache gives up the statement used least recently, also inside a transaction")
    func leastRecentlyUsedIsEvicted() async throws {
        var configuration = try await TestDatabase.create(migrated: false)
        configuration.statementCacheSize = 3
        let connection = try await PostgresConnection.connect(configuration)
        let statements: [PostgresQuery] = (1...4).map { "SELECT \($0)::int8 + \(literal: $0)" }
        try await connection.query(statements[0])
        try await connection.query(statements[1])
        try await connection.query(statements[2])
        try await connection.query(statements[0])  // now the most recent; 1 is the oldest
        let sum = try await connection.transaction { connection in
            // Evicts statement 1, the least recent.
            try await connection.query(statements[3]).scalar(Int.self)
        }
        #expect(sum == 8)
        // Asking takes a place of its own, evicting statement 2.
        #expect(try await prepared(connection) == [statements[0].sql, statements[3].sql])
        // The evicted one prepares again when it comes back (evicting 0), and still answers.
        #expect(try await connection.query(statements[1]).scalar(Int.self) == 4)
        #expect(try await prepared(connection) == [statements[3].sql, statements[1].sql])
        await connection.close()
    }

    @Test("a statement whose table changed shape is prepared again, and its old one given up")
    func staleStatementsArePreparedAgain() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.executeScript("CREATE TABLE shapes (a int); INSERT INTO shapes VALUES (1)")
            let select: PostgresQuery = "SELECT * FROM shapes WHERE a = \(1)"
            #expect(try await connection.query(select).columns.count == 1)
            // A cached SELECT * must not change its result type: the server refuses to run it.
            try await connection.executeScript("ALTER TABLE shapes ADD COLUMN b int")
            let widened = try await connection.query(select)
            #expect(widened.columns.map(\.name) == ["a", "b"])
            let copies = try await connection.query("""
                SELECT count(*) FROM pg_prepared_statements WHERE statement = \(select.sql)
                """).scalar(Int.self)
            #expect(copies == 1)
        }
    }
}
