import Foundation
import Testing
import TestSupport

@Suite("relieflink bench, as an operator runs it")
struct BenchCommandTests {
    @Test("bench rls refuses too few cases for page 100 with a usage error, before starting a database")
    func rlsNeedsEnoughCases() async throws {
        let result = try await relieflink(["bench", "rls", "--cases", "20000"])
        #expect(result.status == .exited(64), "\(result.error)")
        #expect(result.error.contains("--cases must be at least 25000"))
        #expect(!result.error.contains("started a private PostgreSQL"))
    }
}

@Suite("relieflink bench db and bench pool, as an operator runs them")
struct DatabaseBenchCommandTests {
    @Test("issue 2 §8: bench db and bench pool print one JSON object with a row per statement and connection count, ours beside pgbench's and their ratio", arguments: ["db", "pool"])
    func printsRowsBesidePgbench(_ benchmark: String) async throws {
        let database = try await TestDatabase.create(migrated: false)
        let result = try await relieflink(
            ["bench", benchmark, "--json", "--seconds", "1", "--rows", "1000", "--connections", "1", "2"],
            environment: ["DATABASE_URL": database.connectionString])
        #expect(result.status == .exited(0), "\(result.error)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
        #expect(report["benchmark"] as? String == benchmark)
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == [
            "select by primary key, 1 connection(s)", "single-row insert, 1 connection(s)",
            "select by primary key, 2 connection(s)", "single-row insert, 2 connection(s)",
        ])
        for row in rows {
            #expect(row["unit"] as? String == "tx/s")
            let ours: Double = try #require(row["ours"] as? Double)
            let reference: Double = try #require(row["reference"] as? Double)
            let ratio: Double = try #require(row["ratio"] as? Double)
            #expect(ours > 0 && reference > 0)
            let expected: Double = ours / reference
            #expect((ratio - expected).magnitude < 0.01, "ratio \(ratio) of \(ours) / \(reference)")
        }
    }
}
