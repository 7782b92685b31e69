import Foundation
import Postgres
import Testing
import TestSupport

/// A transaction may act as a role and leave its session acting as it, so that the next
/// transaction acting as the same role does not switch again; everything else runs as the
/// user the connection logged in as.
@Suite("Transactions acting as a role")
struct SessionRoleTests {
    /// A login role that is a member of two roles it does not inherit, connected to a new
    /// database, beside a superuser connection that watches it.
    private func withLogin<T>(
        _ body: (_ login: String, _ roles: [String], _ connection: PostgresConnection, _ watcher: PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnections(1) { configuration, admin in
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let login = "session_login_\(suffix)"
            let roles = ["session_clerk_\(suffix)", "session_auditor_\(suffix)"]
            try await admin[0].executeScript("""
                CREATE ROLE \(quoteIdentifier(login)) LOGIN NOINHERIT;
                CREATE ROLE \(quoteIdentifier(roles[0]));
                CREATE ROLE \(quoteIdentifier(roles[1]));
                GRANT \(quoteIdentifier(roles[0])), \(quoteIdentifier(roles[1])) TO \(quoteIdentifier(login));
                """)
            let connection = try await PostgresConnection.connect(ConnectionConfiguration(configuration.connectionString + " user=\(login)"))
            do {
                let value = try await body(login, roles, connection, admin[0])
                await connection.close()
                return value
            } catch {
                await connection.close()
                throw error
            }
        }
    }

    private func currentUser(_ connection: PostgresConnection) async throws -> String? {
        try await connection.query("SELECT current_user::text").scalar(String.self)
    }

    /// Runs a transaction acting as `role` and tells whether its BEGIN switched role, as the
    /// server received it (`watcher` reads the statement in pg_stat_activity); inside, the
    /// transaction must act as `role` either way.
    private func switchesRole(
        _ connection: PostgresConnection, to role: String, watcher: PostgresConnection
    ) async throws -> Bool {
        try await connection.transaction(actingAs: role) { tx in
            let begin = try await watcher.query("SELECT query FROM pg_stat_activity WHERE pid = \(tx.backendPID)").scalar(String.self) ?? ""
            #expect(begin.hasPrefix("BEGIN ISOLATION LEVEL READ COMMITTED"))
            #expect(try await currentUser(tx) == role)
            return begin.contains("SET ROLE \(quoteIdentifier(role))")
        }
    }

    @Test("a transaction acting as a role runs as it; whatever comes next without a role runs as the login user")
    func actsAsTheRoleInsideOnly() async throws {
        try await withLogin { login, roles, connection, _ async throws in
            let inside = try await connection.transaction(actingAs: roles[0]) { try await currentUser($0) }
            #expect(inside == roles[0])
            #expect(try await currentUser(connection) == login)
            // Each right after a transaction that left the session acting as a role.
            try await connection.transaction(actingAs: roles[0]) { _ in }
            #expect(try await connection.transaction { try await currentUser($0) } == login)
            try await connection.transaction(actingAs: roles[1]) { _ in }
            let piped = try await connection.pipelinedTransaction(["SELECT current_user::text"])
            #expect(try piped[0].scalar(String.self) == login)
        }
    }

    @Test("a transaction whose COMMIT rolled back leaves no switch behind")
    func commitThatRolledBack() async throws {
        try await withLogin { _, roles, connection, watcher async throws in
            #expect(try await switchesRole(connection, to: roles[0], watcher: watcher))
            await #expect(throws: PostgresError.self) {
                try await connection.transaction(actingAs: roles[1]) { tx in
                    _ = try? await tx.execute("SELECT 1 / 0")  // swallowed: the COMMIT rolls back
                }
            }
            // Recorded as acting as roles[1], the session (back to roles[0]) would run the next
            // roles[1] transaction as roles[0].
            #expect(try await switchesRole(connection, to: roles[1], watcher: watcher))
        }
    }

    @Test("the next transaction acting as the same role does not switch again; another role does")
    func keepsTheRoleBetweenTransactions() async throws {
        try await withLogin { _, roles, connection, watcher async throws in
            #expect(try await switchesRole(connection, to: roles[0], watcher: watcher))
            // Recorded as acting as roles[1], the session (back to roles[0]) would run the next
            // roles[1] transaction as roles[0].
            #expect(try await switchesRole(connection, to: roles[1], watcher: watcher))
        }
    }

    @Test("a rolled-back switch is undone, and the next transaction acting as that role switches again")
    func rolledBackSwitch() async throws {
        try await withLogin { login, roles, connection, watcher async throws in
            await #expect(throws: Boom()) {
                try await connection.transaction(actingAs: roles[0]) { _ in throw Boom() }
            }
            #expect(try await currentUser(connection) == login)
            try await connection.transaction(actingAs: roles[1]) { _ in }
            await #expect(throws: PostgresServerError.self) {
                try await connection.transaction(actingAs: roles[0]) { tx async throws in
                    try await tx.execute("SELECT 1 / 0")
                }
            }
            // The failed transaction's switch was undone: the session acts as roles[1] still,
            // and a transaction acting as roles[0] must switch, not trust the failed one.
            #expect(try await switchesRole(connection, to: roles[0], watcher: watcher))
        }
    }

    @Test("acting as a role the login user may not take fails that transaction alone")
    func roleNotGranted() async throws {
        try await withLogin { login, _, connection, _ async throws in
            let error = await #expect(throws: PostgresServerError.self) {
                try await connection.transaction(actingAs: "pg_read_server_files") { _ in }
            }
            #expect(error?.code == .insufficientPrivilege)
            #expect(!connection.isInTransaction)
            #expect(try await currentUser(connection) == login)
        }
    }

    @Test("a pipelined transaction acts as its role, and a statement after it as the login user")
    func pipelined() async throws {
        try await withLogin { login, roles, connection, _ async throws in
            let results = try await connection.pipelinedTransaction(["SELECT current_user::text", "SELECT 2"], actingAs: roles[1])
            #expect(results.count == 2)
            #expect(try results[0].scalar(String.self) == roles[1])
            #expect(try results[1].scalar(Int.self) == 2)
            #expect(try await currentUser(connection) == login)
        }
    }

    @Test("a pooled connection left acting as a role serves plain statements as the login user")
    func pooled() async throws {
        try await withLogin { login, roles, connection, _ async throws in
            let pool = ConnectionPool(.init(connection: connection.configuration, maximumConnections: 1))
            defer { Task { await pool.close() } }
            let inside = try await pool.transaction(actingAs: roles[0]) { try await currentUser($0) }
            #expect(inside == roles[0])
            #expect(try await pool.query("SELECT current_user::text").scalar(String.self) == login)
        }
    }
}
