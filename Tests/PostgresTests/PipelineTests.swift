import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Pipelined transactions: several statements, one round trip, one transaction")
struct PipelineTests {
    private func withItems<T>(_ body: (PostgresConnection, PostgresConnection) async throws -> T) async throws -> T {
        try await withConnections(2) { _, connections in
            try await connections[0].executeScript("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)")
            return try await body(connections[0], connections[1])
        }
    }

    private func ids(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT id FROM items ORDER BY id").map { try $0.decode(Int.self, at: 0) }
    }

    @Test("the statements share one transaction: a local setting of the first is seen by the next, and ends with it")
    func oneTransaction() async throws {
        try await withItems { connection, _ in
            let results = try await connection.pipelinedTransaction([
                "SELECT set_config(\("app.county_id"), \("c-1"), true)",
                "SELECT current_setting(\("app.county_id")), txid_current()",
                "SELECT txid_current()",
            ])
            #expect(results.count == 3)
            let (setting, first) = try results[1].decode((String, Int64).self)[0]
            #expect(setting == "c-1")
            #expect(try results[2].scalar(Int64.self) == first, "both statements ran in the same transaction")
            #expect(!connection.isInTransaction)
            let after = try await connection.query("SELECT coalesce(current_setting('app.county_id', true), '')").scalar(String.self)
            #expect(after == "", "the transaction-local setting ended with the pipeline")
        }
    }

    @Test("success commits: another connection sees the rows at once")
    func commits() async throws {
        try await withItems { connection, observer in
            try await connection.pipelinedTransaction([
                "INSERT INTO items VALUES (\(1), \("one"))",
                "INSERT INTO items VALUES (\(2), \("two"))",
            ])
            #expect(try await ids(observer) == [1, 2])
        }
    }

    @Test("the first error rolls back every statement, is the one thrown, and leaves the connection usable")
    func firstErrorRollsBackAll() async throws {
        try await withItems { connection, observer in
            await #expect(throws: PostgresServerError.self) {
                try await connection.pipelinedTransaction([
                    "INSERT INTO items VALUES (\(1), \("one"))",
                    "INSERT INTO items VALUES (\(1), \("duplicate"))",
                    "INSERT INTO items VALUES (\(3), \("three"))",
                ])
            }
            do {
                try await connection.pipelinedTransaction([
                    "INSERT INTO items VALUES (\(1), \("one"))",
                    "SELECT 1 / \(0)",
                ])
                Issue.record("division by zero did not fail")
            } catch let error as PostgresServerError {
                #expect(error.code == "22012")
            }
            #expect(try await ids(observer) == [], "nothing of either pipeline was committed")
            #expect(!connection.isInTransaction)
            #expect(try await connection.query("SELECT \(41) + 1").scalar(Int.self) == 42)
        }
    }

    @Test("prepared statements are reused across pipelines and mixed with plain ones")
    func reusesPreparedStatements() async throws {
        try await withItems { connection, observer in
            for id in 1...5 {
                try await connection.pipelinedTransaction([
                    "INSERT INTO items VALUES (\(id), \("item \(id)"))",
                    "SELECT count(*) FROM items",
                ])
            }
            #expect(try await ids(observer) == [1, 2, 3, 4, 5])
            let prepared = try await connection.query("""
                SELECT count(*)::int8 FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO items%'
                """).scalar(Int.self)
            #expect(prepared == 1)
        }
    }

    @Test("refused inside a transaction, and a NUL in a text parameter is refused before anything is sent")
    func refusals() async throws {
        try await withItems { connection, observer in
            _ = try await connection.transaction { tx in
                await #expect(throws: PostgresError.self) {
                    try await tx.pipelinedTransaction(["SELECT \(1)"])
                }
            }
            await #expect(throws: PostgresError.self) {
                try await connection.pipelinedTransaction([
                    "INSERT INTO items VALUES (\(1), \("one"))",
                    "INSERT INTO items VALUES (\(2), \("nul\u{0}inside"))",
                ])
            }
            #expect(try await ids(observer) == [])
            #expect(try await connection.query("SELECT \(1)").scalar(Int.self) == 1)
        }
    }
}
