import Foundation
import Postgres
import ReliefStore
import Testing
import TestSupport

@Suite("Migrations")
struct MigratorTests {
    private func migration(_ name: String, _ sql: String) throws -> Migration {
        try Migration(name: name, sql: sql)
    }

    @Test("the bundled migrations are exactly the files of sql/migrations, in order")
    func bundledMatchFiles() throws {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let bundled = try Migration.bundled()
        #expect(bundled.map(\.name) == files)
        for migration in bundled {
            let text = try String(contentsOf: folder.appending(path: migration.name), encoding: .utf8)
            #expect(migration.sql == text, "\(migration.name) differs from the file")
        }
        #expect(bundled.map(\.version) == bundled.map(\.version).sorted())
    }

    @Test("a fresh database gets every migration; a second run applies nothing")
    func appliesOnce() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let migrator = try Migrator()
            let first = try await migrator.migrate(connection)
            #expect(first.map(\.name) == migrator.migrations.map(\.name))
            let second = try await migrator.migrate(connection)
            #expect(second.isEmpty)
            let recorded = try await connection.query("SELECT name, checksum FROM schema_migrations ORDER BY version")
                .decode((String, String).self)
            #expect(recorded.map(\.0) == migrator.migrations.map(\.name))
            #expect(recorded.map(\.1) == migrator.migrations.map(\.checksum))
        }
    }

    @Test("an applied migration that was edited is refused, naming the file")
    func editedRefused() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let original = try migration("0001_people.sql", "CREATE TABLE people (id int PRIMARY KEY);")
            try await Migrator(migrations: [original]).migrate(connection)
            let edited = try migration("0001_people.sql", "CREATE TABLE people (id int PRIMARY KEY, name text);")
            let next = try migration("0002_more.sql", "CREATE TABLE more (id int);")
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: [edited, next]).migrate(connection)
            }
            #expect(error == .editedAfterApplying(name: "0001_people.sql"))
            #expect(error?.description.contains("0001_people.sql") == true)
            // nothing after it was applied
            let tables = try await connection.query("SELECT count(*) FROM pg_tables WHERE tablename = 'more'").scalar(Int.self)
            #expect(tables == 0)
        }
    }

    @Test("a database migrated by a newer build is refused")
    func unknownVersionRefused() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let one = try migration("0001_a.sql", "SELECT 1;")
            let two = try migration("0002_b.sql", "SELECT 2;")
            try await Migrator(migrations: [one, two]).migrate(connection)
            await #expect(throws: MigrationError.unknownAppliedVersion(version: 2, name: "0002_b.sql")) {
                try await Migrator(migrations: [one]).migrate(connection)
            }
        }
    }

    @Test("a failing migration is rolled back whole and recorded as not applied")
    func failureRollsBack() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let good = try migration("0001_good.sql", "CREATE TABLE good (id int);")
            let bad = try migration("0002_bad.sql", "CREATE TABLE half (id int);\nSELECT * FROM no_such_table;")
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: [good, bad]).migrate(connection)
            }
            guard case .failed(let name, let reason)? = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(name == "0002_bad.sql")
            #expect(reason.contains("42P01"))
            let half = try await connection.query("SELECT to_regclass('half') IS NULL").scalar(Bool.self)
            #expect(half == true)
            let status = try await Migrator(migrations: [good, bad]).status(connection)
            #expect(status.map { $0.appliedAt != nil } == [true, false])
            #expect(status.map(\.name) == ["0001_good.sql", "0002_bad.sql"])
        }
    }

    @Test("two migrators at once apply each migration exactly once")
    func concurrentMigrators() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let slow = try migration("0001_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE counted (id int);")
        let after = try migration("0002_after.sql", "INSERT INTO counted VALUES (1);")
        let migrator = Migrator(migrations: [slow, after])
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let connection = try await PostgresConnection.connect(database)
                    let applied = try await migrator.migrate(connection)
                    await connection.close()
                    return applied.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(applied.sorted() == [0, 0, 2])
        let connection = try await PostgresConnection.connect(database)
        let rows = try await connection.query("SELECT count(*) FROM counted").scalar(Int.self)
        #expect(rows == 1)
        await connection.close()
    }

    @Test("a no-transaction migration runs outside a transaction")
    func noTransaction() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let table = try migration("0001_table.sql", "CREATE TABLE t (id int);")
            let index = try migration("0002_index.sql", "-- relieflink:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);")
            #expect(!index.isTransactional && table.isTransactional)
            let applied = try await Migrator(migrations: [table, index]).migrate(connection)
            #expect(applied.count == 2)
        }
    }

    @Test("file names must be NNNN_name.sql, and versions unique")
    func names() throws {
        for bad in ["1_short.sql", "0001.sql", "0001_.sql", "abcd_x.sql", "0001_x.txt", "0000_zero.sql"] {
            #expect(throws: MigrationError.badFileName(bad)) { try Migration(name: bad, sql: "") }
        }
        let a = try migration("0003_a.sql", "")
        let b = try migration("0003_b.sql", "")
        #expect(throws: MigrationError.duplicateVersion("0003_a.sql", "0003_b.sql")) { try Migration.ordered([b, a]) }
    }
}
