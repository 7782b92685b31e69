import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Transactions and savepoints")
struct TransactionTests {
    /// Two connections to a new database with an `items` table: one works, one observes.
    private func withWorkerAndObserver<T>(
        _ body: (ConnectionConfiguration, PostgresConnection, PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnections(2) { configuration, connections in
            try await connections[0].executeScript("CREATE TABLE items (id int PRIMARY KEY, label text)")
            return try await body(configuration, connections[0], connections[1])
        }
    }

    private func ids(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT id FROM items ORDER BY id").map { try $0.decode(Int.self, at: 0) }
    }

    @Test("returning from the body commits, and the value comes back")
    func commitOnReturn() async throws {
        try await withWorkerAndObserver { _, connection, observer in
            let value = try await connection.transaction { tx in
                try await tx.execute("INSERT INTO items VALUES (\(1), \("first"))")
                try await tx.execute("INSERT INTO items VALUES (\(2), \("second"))")
                #expect(tx.isInTransaction)
                #expect(try await ids(observer) == [])  // not visible before COMMIT
                return "done"
            }
            #expect(value == "done")
            #expect(!connection.isInTransaction)
            #expect(try await ids(observer) == [1, 2])
        }
    }

    @Test("throwing from the body rolls back and rethrows the same error")
    func rollbackOnThrow() async throws {
        try await withWorkerAndObserver { _, connection, observer async throws in
            await #expect(throws: Boom()) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (\(1), \("lost"))")
                    throw Boom()
                }
            }
            #expect(!connection.isInTransaction)
            #expect(try await ids(observer) == [])
            #expect(try await ids(connection) == [])
        }
    }

    @Test("cancelling the task mid-body rolls back and leaves the connection usable")
    func rollbackOnCancel() async throws {
        try await withWorkerAndObserver { _, connection, observer in
            let (inserted, signal) = AsyncStream.makeStream(of: Void.self)
            let task = Task {
                defer { signal.finish() }
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (\(1), \("cancelled"))")
                    signal.yield()
                    try await tx.query("SELECT pg_sleep(30)")
                }
            }
            for await _ in inserted { break }
            #expect(try await eventually { try await observer.isRunning(connection.backendPID, "pg_sleep") })
            task.cancel()
            let outcome = try await result(of: task, within: .seconds(10))
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(!connection.isInTransaction)
            #expect(try await observer.backendState(connection.backendPID) == "idle")  // not "idle in transaction"
            #expect(try await ids(observer) == [])
            try await connection.execute("INSERT INTO items VALUES (\(2), \("later"))")
            #expect(try await ids(observer) == [2])
        }
    }

    @Test("the isolation level asked for is the one the server applies", arguments: [
        (IsolationLevel.readCommitted, "read committed"),
        (IsolationLevel.repeatableRead, "repeatable read"),
        (IsolationLevel.serializable, "serializable"),
    ])
    func isolationApplied(level: IsolationLevel, shown: String) async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let inside = try await connection.transaction(isolation: level) { tx in
                try await tx.query("SHOW transaction_isolation").scalar(String.self)
            }
            #expect(inside == shown)
            let readOnly = try await connection.transaction(isolation: level) { tx in
                try await tx.query("SHOW transaction_read_only").scalar(String.self)
            }
            #expect(readOnly == "off")
        }
    }

    @Test("repeatable read keeps one snapshot while others commit")
    func repeatableReadSnapshot() async throws {
        try await withWorkerAndObserver { _, connection, other in
            try await connection.transaction(isolation: .repeatableRead) { tx in
                #expect(try await ids(tx) == [])
                try await other.execute("INSERT INTO items VALUES (\(1), \("concurrent"))")
                #expect(try await ids(tx) == [])
            }
            #expect(try await ids(connection) == [1])
            try await connection.transaction(isolation: .readCommitted) { tx in
                #expect(try await ids(tx) == [1])
                try await other.execute("INSERT INTO items VALUES (\(2), \("concurrent"))")
                #expect(try await ids(tx) == [1, 2])
            }
        }
    }

    @Test("a read-only transaction refuses writes and saves nothing")
    func readOnlyRefusesWrites() async throws {
        try await withWorkerAndObserver { _, connection, observer in
            let shown = try await connection.transaction(readOnly: true) { tx in
                try await tx.query("SHOW transaction_read_only").scalar(String.self)
            }
            #expect(shown == "on")
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.transaction(isolation: .repeatableRead, readOnly: true) { tx in
                    #expect(try await ids(tx) == [])  // reads are fine
                    try await tx.execute("INSERT INTO items VALUES (\(1), \("refused"))")
                }
            }
            #expect(error.code == .readOnlySQLTransaction)
            #expect(!connection.isInTransaction)
            #expect(try await ids(observer) == [])
        }
    }

    @Test("a body that swallows a statement's error and returns gets transactionRolledBack, and nothing is saved")
    func swallowedErrorRollsBack() async throws {
        try await withWorkerAndObserver { _, connection, observer in
            let error = try await #require(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (\(1), \("first"))")
                    do {
                        try await tx.execute("INSERT INTO items VALUES (\(1), \("duplicate"))")
                    } catch let error as PostgresServerError {
                        #expect(error.code == .uniqueViolation)
                    }
                    // The server has failed the transaction: later statements are refused too.
                    do {
                        try await tx.execute("INSERT INTO items VALUES (\(2), \("second"))")
                        Issue.record("a statement in a failed transaction was accepted")
                    } catch let error as PostgresServerError {
                        #expect(error.code == .inFailedSQLTransaction)
                    }
                    return 42
                }
            }
            #expect(error.kind == .transactionRolledBack)
            #expect(!connection.isInTransaction)
            #expect(try await ids(observer) == [])
            try await connection.execute("INSERT INTO items VALUES (\(3), \("after"))")
            #expect(try await ids(observer) == [3])
        }
    }

    @Test("transaction() inside a transaction is misuse and does not disturb the outer one")
    func nestedTransactionIsMisuse() async throws {
        try await withWorkerAndObserver { _, connection, observer in
            try await connection.transaction { tx in
                try await tx.execute("INSERT INTO items VALUES (\(1), \("outer"))")
                let error = try await #require(throws: PostgresError.self) {
                    try await tx.transaction { inner in
                        try await inner.execute("INSERT INTO items VALUES (\(2), \("inner"))")
                    }
                }
                #expect(error.kind == .misuse)
                #expect(tx.isInTransaction)
            }
            #expect(try await ids(observer) == [1])
        }
    }

    @Test("savepoint() outside a transaction is misuse")
    func savepointOutsideIsMisuse() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let error = try await #require(throws: PostgresError.self) {
                try await connection.savepoint { _ in }
            }
            #expect(error.kind == .misuse)
        }
    }

    @Test("a savepoint undoes only its own part, after a thrown error or a server error")
    func savepointUndoesOnlyItsPart() async throws {
        try await withWorkerAndObserver { _, connection, observer in
            try await connection.transaction { tx in
                try await tx.execute("INSERT INTO items VALUES (\(1), \("kept"))")
                await #expect(throws: Boom()) {
                    try await tx.savepoint { sp in
                        try await sp.execute("INSERT INTO items VALUES (\(2), \("undone"))")
                        throw Boom()
                    }
                }
                // A server error inside a savepoint leaves the transaction usable.
                let duplicate = try await #require(throws: PostgresServerError.self) {
                    try await tx.savepoint { sp in
                        try await sp.execute("INSERT INTO items VALUES (\(3), \("undone too"))")
                        try await sp.execute("INSERT INTO items VALUES (\(1), \("duplicate"))")
                    }
                }
                #expect(duplicate.code == .uniqueViolation)
                // Nested savepoints: the inner one is undone, the outer one kept.
                let value = try await tx.savepoint { sp in
                    try await sp.execute("INSERT INTO items VALUES (\(4), \("kept"))")
                    try? await sp.savepoint { inner in
                        try await inner.execute("INSERT INTO items VALUES (\(5), \("undone"))")
                        throw Boom()
                    }
                    return "outer savepoint"
                }
                #expect(value == "outer savepoint")
                try await tx.execute("INSERT INTO items VALUES (\(6), \("kept"))")
                #expect(try await ids(tx) == [1, 4, 6])
            }
            #expect(try await ids(observer) == [1, 4, 6])
        }
    }

    @Test("a pooled transaction is retried after a serialization failure when asked to")
    func retriedAfterSerializationFailure() async throws {
        let configuration = try await TestDatabase.create(migrated: false)
        let pool = ConnectionPool(.init(connection: configuration, maximumConnections: 2))
        try await pool.query("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)")
        try await pool.query("INSERT INTO counters VALUES (1, 0)")

        // Without retries the failure comes back to the caller.
        var attempts = 0
        let error = try await #require(throws: PostgresServerError.self) {
            try await pool.transaction(isolation: .repeatableRead) { tx in
                attempts += 1
                try await bumpWithInterference(tx, pool: pool, interfere: true)
            }
        }
        #expect(error.code == .serializationFailure)
        #expect(error.code.isTransient)
        #expect(attempts == 1)

        // With retries the second attempt sees the concurrent change and succeeds.
        attempts = 0
        try await pool.transaction(isolation: .repeatableRead, retries: 2) { tx in
            attempts += 1
            try await bumpWithInterference(tx, pool: pool, interfere: attempts == 1)
        }
        #expect(attempts == 2)
        let n = try await pool.query("SELECT n FROM counters WHERE id = 1").scalar(Int.self)
        #expect(n == 201)  // two interfering +100s and one +1
        #expect(pool.statistics.leased == 0)
        await pool.close()
    }

    /// Reads the counter (taking the snapshot), optionally lets another connection change and
    /// commit it, then writes: the write fails with 40001 if someone changed the row meanwhile.
    private func bumpWithInterference(_ tx: PostgresConnection, pool: ConnectionPool, interfere: Bool) async throws {
        let n = try #require(try await tx.query("SELECT n FROM counters WHERE id = 1").scalar(Int.self))
        if interfere {
            try await pool.execute("UPDATE counters SET n = n + 100 WHERE id = 1")
        }
        try await tx.execute("UPDATE counters SET n = \(n + 1) WHERE id = 1")
    }
}
