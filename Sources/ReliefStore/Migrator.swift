import Foundation
import Logging
import Postgres

/// Applies `sql/migrations` to a database: in order, each in its own transaction, each once,
/// under an advisory lock so two migrators started together take turns.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private let logger: Logger

    /// Arbitrary but fixed: the key of the session advisory lock all migrators take.
    static let lockKey: Int64 = 4012_2021

    public init(migrations: [Migration], logger: Logger = Logger(label: "relieflink.migrate")) {
        self.migrations = migrations
        self.logger = logger
    }

    public init(logger: Logger = Logger(label: "relieflink.migrate")) throws {
        self.init(migrations: try Migration.bundled(), logger: logger)
    }

    public struct Status: Sendable, Equatable {
        public let version: Int
        public let name: String
        /// nil while pending.
        public let appliedAt: Date?
    }

    /// Applies what is pending; returns the migrations applied now (none on a second run).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) async throws -> [Migration] {
        try await withLock(connection) {
            let pending = try await self.pending(connection)
            for migration in pending {
                try await apply(migration, on: connection)
            }
            return pending
        }
    }

    /// Every migration this build knows, applied or pending.
    public func status(_ connection: PostgresConnection) async throws -> [Status] {
        // Reads only: a database without the history table has applied nothing yet.
        let hasHistory = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").scalar(Bool.self) ?? false
        let applied = hasHistory ? try await appliedMigrations(connection) : [:]
        try verify(applied)
        return migrations.map { migration in
            Status(version: migration.version, name: migration.name, appliedAt: applied[migration.version]?.appliedAt)
        }
    }

    private struct Applied {
        let name: String
        let checksum: String
        let appliedAt: Date
    }

    private func pending(_ connection: PostgresConnection) async throws -> [Migration] {
        try await ensureHistoryTable(connection)
        let applied = try await appliedMigrations(connection)
        try verify(applied)
        return migrations.filter { applied[$0.version] == nil }
    }

    private func ensureHistoryTable(_ connection: PostgresConnection) async throws {
        // Not a tenant table: it describes the schema itself, so it has no county_id.
        try await connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer     PRIMARY KEY,
                name        text        NOT NULL,
                checksum    text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                duration_ms integer     NOT NULL
            )
            """)
    }

    private func appliedMigrations(_ connection: PostgresConnection) async throws -> [Int: Applied] {
        let rows = try await connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations")
            .decode((Int32, String, String, Date).self)
        return Dictionary(uniqueKeysWithValues: rows.map { (Int($0.0), Applied(name: $0.1, checksum: $0.2, appliedAt: $0.3)) })
    }

    /// Refuses a database whose applied history disagrees with the files of this build.
    private func verify(_ applied: [Int: Applied]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError.unknownAppliedVersion(version: version, name: record.name)
            }
            guard migration.name == record.name else {
                throw MigrationError.renamedAfterApplying(version: version, applied: record.name, file: migration.name)
            }
            guard migration.checksum == record.checksum else {
                throw MigrationError.editedAfterApplying(name: migration.name)
            }
        }
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let started = ContinuousClock.now
        logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
        func record() async throws {
            let elapsed = ContinuousClock.now - started
            let milliseconds = Int32(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            try await connection.execute("""
                INSERT INTO schema_migrations (version, name, checksum, duration_ms)
                VALUES (\(Int32(migration.version)), \(migration.name), \(migration.checksum), \(milliseconds))
                """)
        }
        do {
            if migration.isTransactional {
                try await connection.transaction { connection in
                    try await connection.executeScript(migration.sql)
                    try await record()
                }
            } else {
                try await connection.executeScript(migration.sql)
                try await record()
            }
        } catch let error as PostgresServerError {
            throw MigrationError.failed(name: migration.name, reason: error.description)
        }
    }

    private func withLock<T: Sendable>(_ connection: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        try await connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let value = try await body()
            try await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return value
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }
}
