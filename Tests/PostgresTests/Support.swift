import Foundation
import LocalPostgres
import Postgres
import Synchronization
import Testing
import TestSupport

// Small helpers shared by the wrapper's tests: bounded waits, several connections to one
// fresh database, and readable checks of the error enums.

/// `count` connections to one new database, all closed after `body`.
func withConnections<T>(
    _ count: Int,
    migrated: Bool = false,
    _ body: (ConnectionConfiguration, [PostgresConnection]) async throws -> T
) async throws -> T {
    let configuration = try await TestDatabase.create(migrated: migrated)
    var connections: [PostgresConnection] = []
    do {
        for _ in 0..<count { connections.append(try await PostgresConnection.connect(configuration)) }
        let value = try await body(configuration, connections)
        for connection in connections { await connection.close() }
        return value
    } catch {
        for connection in connections { await connection.close() }
        throw error
    }
}

/// A separate private cluster, stopped and removed after `body`: for tests that restart the server.
func withPrivateCluster<T>(_ body: (LocalPostgresCluster) async throws -> T) async throws -> T {
    let cluster = try await LocalPostgresCluster.start(options: .init(durable: false, maxConnections: 40))
    do {
        let value = try await body(cluster)
        await cluster.stop()
        return value
    } catch {
        await cluster.stop()
        throw error
    }
}

extension ConnectionConfiguration {
    var databaseName: String { parsedFields()?["dbname"] ?? "" }

    func named(_ applicationName: String) -> ConnectionConfiguration {
        var copy = self
        copy.applicationName = applicationName
        return copy
    }
}

extension PostgresConnection {
    /// Server connections to `database`, optionally only those of one application name.
    func serverConnections(database: String, applicationName: String? = nil) async throws -> Int {
        let count = try await query("""
            SELECT count(*)::int8 FROM pg_stat_activity
            WHERE datname = \(database) AND (\(applicationName)::text IS NULL OR application_name = \(applicationName))
            """).scalar(Int.self)
        return count ?? 0
    }

    /// The backend PIDs of `applicationName`'s connections to `database`.
    func backendPIDs(database: String, applicationName: String) async throws -> [Int32] {
        try await query("""
            SELECT pid FROM pg_stat_activity WHERE datname = \(database) AND application_name = \(applicationName)
            ORDER BY pid
            """).map { try $0.decode(Int32.self, at: 0) }
    }

    /// `state` of a server process in pg_stat_activity (`active`, `idle`, …), nil when it is gone.
    func backendState(_ pid: Int32) async throws -> String? {
        try await query("SELECT state FROM pg_stat_activity WHERE pid = \(pid)").scalar(String?.self) ?? nil
    }

    /// Whether a server process is running a statement whose text contains `fragment`.
    func isRunning(_ pid: Int32, _ fragment: String) async throws -> Bool {
        try await query("""
            SELECT count(*)::int8 FROM pg_stat_activity
            WHERE pid = \(pid) AND state = 'active' AND strpos(query, \(fragment)) > 0
            """).scalar(Int.self) == 1
    }

    func terminateBackend(_ pid: Int32) async throws -> Bool {
        try await query("SELECT pg_terminate_backend(\(pid))").scalar(Bool.self) ?? false
    }

    /// Whether the server process has gone from pg_stat_activity.
    func isGone(_ pid: Int32) async throws -> Bool {
        try await query("SELECT count(*)::int8 FROM pg_stat_activity WHERE pid = \(pid)").scalar(Int.self) == 0
    }
}

/// The case of a `PostgresError`, for `#expect(error.kind == .misuse)`.
enum PostgresErrorKind: Equatable {
    case connectionFailed, connectionLost, connectionClosed, statementTimeout, transactionRolledBack, unexpectedResult, misuse, nulInText
}

extension PostgresError {
    var kind: PostgresErrorKind {
        switch self {
        case .connectionFailed: .connectionFailed
        case .connectionLost: .connectionLost
        case .connectionClosed: .connectionClosed
        case .statementTimeout: .statementTimeout
        case .transactionRolledBack: .transactionRolledBack
        case .unexpectedResult: .unexpectedResult
        case .misuse: .misuse
        case .nulInText: .nulInText
        }
    }
}

extension ConnectionPoolError {
    var isTimedOut: Bool {
        if case .timedOut = self { true } else { false }
    }

    var isClosed: Bool {
        if case .closed = self { true } else { false }
    }
}

/// A thrown error of the test's own, to check that `body`'s error comes back unchanged.
struct Boom: Error, Equatable {}

/// A counter safe to bump from any task or thread.
final class Counter: Sendable {
    private let storage = Mutex(0)
    var value: Int { storage.withLock { $0 } }
    func increment() { storage.withLock { $0 += 1 } }
}

/// A value shared between tasks, behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// A pooled connection borrowed by a task of its own until `giveBack()`.
struct Lease {
    let connection: PostgresConnection
    private let done: AsyncStream<Void>.Continuation
    private let task: Task<Void, Error>

    /// Borrows a connection from `pool`; waits until it has one (or the borrow failed).
    static func borrow(from pool: ConnectionPool) async throws -> Lease {
        let (lent, lentSignal) = AsyncStream.makeStream(of: PostgresConnection.self)
        let (done, doneSignal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            defer { lentSignal.finish() }
            try await pool.withConnection { connection in
                lentSignal.yield(connection)
                for await _ in done {}
            }
        }
        guard let connection = await lent.first(where: { _ in true }) else {
            try await task.value
            throw PostgresError.unexpectedResult("the borrow ended without a connection")
        }
        return Lease(connection: connection, done: doneSignal, task: task)
    }

    /// Hands the connection back to the pool.
    func giveBack() async throws {
        done.finish()
        try await withDeadline(.seconds(5)) { [task] in try await task.value }
    }
}
