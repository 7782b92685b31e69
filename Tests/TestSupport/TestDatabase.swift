import Foundation
import LocalPostgres
import Logging
import Postgres
import ReliefStore
import Synchronization

/// Fresh databases for tests, on a private PostgreSQL cluster this test process starts itself.
///
/// The suite never reads DATABASE_URL and never touches a database it did not create. Each
/// test gets a database of its own, cloned from a template that was migrated once, so tests
/// run in parallel without seeing each other's rows.
public enum TestDatabase {
    static let cluster = Task<LocalPostgresCluster, Error> {
        try await LocalPostgresCluster.start(options: .init(durable: false, maxConnections: 500))
    }

    /// An empty template for the wrapper's tests, which must not depend on the migrations.
    static let plainTemplate = Task<Void, Error> {
        let cluster = try await TestDatabase.cluster.value
        let admin = try await PostgresConnection.connect(ConnectionConfiguration(cluster.connectionString(), connectTimeout: connectTimeout))
        try await admin.executeScript("CREATE DATABASE plain_template")
        await admin.close()
    }

    /// The migrated template, created on first use.
    static let migratedTemplate = Task<Void, Error> {
        let cluster = try await TestDatabase.cluster.value
        let admin = try await PostgresConnection.connect(ConnectionConfiguration(cluster.connectionString(), connectTimeout: connectTimeout))
        try await admin.executeScript("CREATE DATABASE relieflink_template")
        await admin.close()
        let template = try await PostgresConnection.connect(
            ConnectionConfiguration(cluster.connectionString(database: "relieflink_template"), connectTimeout: connectTimeout))
        try await Migrator().migrate(template)
        // The login the servers use: a member of relieflink_app, neither owner nor superuser.
        try await template.executeScript("CREATE ROLE \(appLogin) LOGIN IN ROLE relieflink_app")
        await template.close()
    }

    private static let counter = Mutex(0)

    /// Hundreds of tests start at once on a two-core CI machine; a new server process may wait
    /// its turn for a while there, which must not fail a test.
    static let connectTimeout: Duration = .seconds(60)

    /// The login role tests connect as to go through row-level security.
    public static let appLogin = "relieflink_web"

    /// The same database as `owner`, connecting as the application's login role.
    public static func appConfiguration(_ owner: ConnectionConfiguration) -> ConnectionConfiguration {
        // In a conninfo string a later keyword overrides an earlier one.
        ConnectionConfiguration(owner.connectionString + " user=\(appLogin)", connectTimeout: connectTimeout)
    }

    /// The private cluster (to start and stop it in tests that need that).
    public static var localCluster: LocalPostgresCluster {
        get async throws { try await cluster.value }
    }

    /// Creates a new database and returns how to connect to it as the superuser.
    /// - Parameter migrated: cloned from the migrated template; otherwise empty.
    public static func create(migrated: Bool = true) async throws -> ConnectionConfiguration {
        let cluster = try await cluster.value
        try await (migrated ? migratedTemplate : plainTemplate).value
        let number = counter.withLock { value in
            value += 1
            return value
        }
        let name = "test_\(getpid())_\(number)"
        let admin = try await PostgresConnection.connect(ConnectionConfiguration(cluster.connectionString(), connectTimeout: connectTimeout))
        defer { Task { await admin.close() } }
        let template = migrated ? "relieflink_template" : "plain_template"
        try await admin.executeScript("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(template) STRATEGY FILE_COPY")
        return ConnectionConfiguration(cluster.connectionString(database: name), connectTimeout: connectTimeout)
    }

    /// A connection to a new database, closed after `body`.
    public static func withConnection<T>(
        migrated: Bool = true,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(try await create(migrated: migrated))
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}
