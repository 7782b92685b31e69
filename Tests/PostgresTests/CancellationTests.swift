import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Cancellation and statement time-outs")
struct CancellationTests {
    @Test("cancelling the task running pg_sleep(30) ends it long before its 30 s, on the server too")
    func cancelLongStatement() async throws {
        try await withConnections(2) { _, connections in
            let (connection, observer) = (connections[0], connections[1])
            let sleeper = Task { try await connection.query("SELECT pg_sleep(30)") }
            #expect(try await eventually { try await observer.isRunning(connection.backendPID, "pg_sleep") })
            let clock = ContinuousClock()
            let start = clock.now
            sleeper.cancel()
            let outcome = try await result(of: sleeper, within: .seconds(10))
            let elapsed = clock.now - start
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(elapsed < .seconds(8), "cancelling took \(elapsed)")
            // The server is no longer running it.
            #expect(try await observer.backendState(connection.backendPID) == "idle")
            #expect(try await !observer.isRunning(connection.backendPID, "pg_sleep"))
            // And the same connection works for the next statement.
            let one = try await connection.query("SELECT \(1)::int4").scalar(Int32.self)
            #expect(one == 1)
            #expect(!connection.isBroken)
        }
    }

    @Test("a task cancelled before its statement starts never sends it")
    func cancelledBeforeStart() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.executeScript("CREATE TABLE marks (id int)")
            let (gate, open) = AsyncStream.makeStream(of: Void.self)
            let task = Task {
                for await _ in gate { break }
                try await connection.execute("INSERT INTO marks VALUES (1)")
            }
            task.cancel()
            open.finish()
            let outcome = try await result(of: task, within: .seconds(10))
            #expect(throws: CancellationError.self) { try outcome.get() }
            let count = try await connection.query("SELECT count(*) FROM marks").scalar(Int.self)
            #expect(count == 0)
        }
    }

    @Test("cancelling a statement queued behind another skips it and leaves the running one alone")
    func cancelQueuedStatement() async throws {
        try await withConnections(2) { _, connections in
            let (connection, observer) = (connections[0], connections[1])
            try await connection.executeScript("CREATE TABLE marks (id int)")
            // The first statement waits for a lock the observer holds, so the second stays queued
            // behind it for as long as the test needs.
            try await observer.query("SELECT pg_advisory_lock(4711)")
            let first = Task { try await connection.query("SELECT pg_advisory_lock(4711), 'first'::text").first?.decode(String.self, at: 1) }
            #expect(try await eventually { try await observer.isRunning(connection.backendPID, "pg_advisory_lock") })
            let queued = Task { try await connection.execute("INSERT INTO marks VALUES (1)") }
            try await Task.sleep(for: .milliseconds(50))  // most likely queued by now; cancelled either way
            queued.cancel()
            try await observer.query("SELECT pg_advisory_unlock(4711)")
            let firstValue = try await withDeadline(.seconds(3)) { try await first.value }
            #expect(firstValue == "first")
            let queuedOutcome = try await result(of: queued, within: .seconds(10))
            #expect(throws: CancellationError.self) { try queuedOutcome.get() }
            let count = try await connection.query("SELECT count(*) FROM marks").scalar(Int.self)
            #expect(count == 0)
        }
    }

    @Test("a statement over its time-out throws statementTimeout, and the connection works afterwards")
    func statementTimeout() async throws {
        try await withConnections(2) { _, connections in
            let (connection, observer) = (connections[0], connections[1])
            let clock = ContinuousClock()
            let start = clock.now
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT pg_sleep(10)", timeout: .milliseconds(200))
            }
            let elapsed = clock.now - start
            #expect(error.kind == .statementTimeout)
            if case .statementTimeout(let limit) = error { #expect(limit == .milliseconds(200)) }
            #expect(elapsed >= .milliseconds(180) && elapsed < .seconds(8), "took \(elapsed)")
            #expect(try await observer.backendState(connection.backendPID) == "idle")
            // The next statements are not hit by the old time-out, even if they take longer than it.
            let value = try await connection.query("SELECT pg_sleep(0.4), 7::int4").first?.decode(Int32.self, at: 1)
            #expect(value == 7)
            // A statement within its time-out is unaffected.
            let quick = try await connection.query("SELECT 8::int4", timeout: .milliseconds(200)).scalar(Int32.self)
            #expect(quick == 8)
        }
    }

    @Test("a time-out inside a transaction fails the statement; the transaction rolls back")
    func timeoutInTransaction() async throws {
        try await withConnections(2) { _, connections in
            let (connection, observer) = (connections[0], connections[1])
            try await connection.executeScript("CREATE TABLE marks (id int)")
            let error = try await #require(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO marks VALUES (1)")
                    try await tx.query("SELECT pg_sleep(10)", timeout: .milliseconds(100))
                }
            }
            #expect(error.kind == .statementTimeout)
            #expect(!connection.isInTransaction)
            let count = try await observer.query("SELECT count(*) FROM marks").scalar(Int.self)
            #expect(count == 0)
        }
    }

    @Test("the server-side statement_timeout of the configuration reports query_canceled")
    func configuredStatementTimeout() async throws {
        let configuration = try await TestDatabase.create(migrated: false)
        var limited = configuration
        limited.statementTimeout = .milliseconds(150)
        let connection = try await PostgresConnection.connect(limited)
        let error = try await #require(throws: PostgresServerError.self) {
            try await connection.query("SELECT pg_sleep(5)")
        }
        #expect(error.code == .queryCanceled)
        #expect(error.message.contains("statement timeout"))
        let one = try await connection.query("SELECT 1").scalar(Int32.self)
        #expect(one == 1)
        await connection.close()
    }

    @Test("a cancel that races with its statement never hits the next statement on the connection")
    func cancelRaces() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            var cancelled = 0
            for round in 0..<150 {
                // Every tenth statement runs long enough that its cancel must land, however
                // loaded the machine; the rest race it.
                let certain = round % 10 == 0
                let sleep = certain ? 30.0 : Double.random(in: 0...0.004)
                let task = Task { try await connection.query("SELECT pg_sleep(\(sleep))") }
                // Cancel before it starts, while it runs, or after it finished.
                let wait = Int.random(in: 0...5)
                if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
                task.cancel()
                switch try await result(of: task, within: .seconds(10)) {
                case .success:
                    #expect(!certain, "round \(round): a 30 s statement was not cancelled")
                case .failure(let error):
                    #expect(error is CancellationError, "round \(round): \(error)")
                    cancelled += 1
                }
                let echoed = try await connection.query("SELECT \(round)::int8").scalar(Int.self)
                #expect(echoed == round)
            }
            #expect(cancelled >= 15)
            #expect(!connection.isBroken)
        }
    }

    @Test("a time-out that races with its statement never hits the next statement on the connection")
    func timeoutRaces() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            var timedOut = 0
            for round in 0..<100 {
                // Every tenth statement outlasts its time-out by far, so some certainly time out
                // however loaded the machine; the rest race it.
                let certain = round % 10 == 0
                let sleep = certain ? 30.0 : Double.random(in: 0...0.004)
                do {
                    try await connection.query("SELECT pg_sleep(\(sleep))", timeout: .milliseconds(Int.random(in: 1...4)))
                    #expect(!certain, "round \(round): a 30 s statement did not time out")
                } catch let error as PostgresError {
                    #expect(error.kind == .statementTimeout, "round \(round): \(error)")
                    timedOut += 1
                }
                let echoed = try await connection.query("SELECT \(round)::int8").scalar(Int.self)
                #expect(echoed == round)
            }
            #expect(timedOut >= 10)
        }
    }

    @Test("a timed-out statement whose server process stopped answering (SIGSTOP) fails as timed out once its cancel went unanswered for the limit; the connection is given up")
    func unansweredTimeoutGivesUpConnection() async throws {
        var configuration = try await TestDatabase.create(migrated: false)
        configuration.unansweredCancelLimit = .milliseconds(500)
        let connection = try await PostgresConnection.connect(configuration)
        let pid = connection.backendPID
        #expect(kill(pid, SIGSTOP) == 0)
        defer { kill(pid, SIGCONT) }  // also when an expectation throws: a stopped server process never ends
        let clock = ContinuousClock()
        let start = clock.now
        let statement = Task { try await connection.query("SELECT 1", timeout: .milliseconds(200)) }
        let outcome = try await result(of: statement, within: .seconds(30))
        let elapsed = clock.now - start
        kill(pid, SIGCONT)
        let error = try #require(throws: PostgresError.self) { try outcome.get() }
        #expect(error.kind == .statementTimeout)
        #expect(elapsed >= .milliseconds(700), "gave up after \(elapsed), before the time-out and the limit had passed")
        #expect(elapsed < .seconds(10), "took \(elapsed)")
        #expect(connection.isBroken)
        await connection.close()
    }

    @Test("a cancelled task whose server process stopped answering ends once its cancel went unanswered for the limit; the pool replaces the connection")
    func unansweredCancelThroughPool() async throws {
        var configuration = try await TestDatabase.create(migrated: false)
        configuration.unansweredCancelLimit = .milliseconds(500)
        let pool = ConnectionPool(.init(connection: configuration, maximumConnections: 1))
        let pid = try #require(try await pool.query("SELECT pg_backend_pid()").scalar(Int32.self))
        #expect(kill(pid, SIGSTOP) == 0)
        defer { kill(pid, SIGCONT) }  // also when an expectation throws: a stopped server process never ends
        let statement = Task { try await pool.query("SELECT 1") }
        try await Task.sleep(for: .milliseconds(100))  // let it reach the stopped server
        statement.cancel()
        let outcome = try await result(of: statement, within: .seconds(30))
        kill(pid, SIGCONT)
        #expect(throws: CancellationError.self) { try outcome.get() }
        let replacement = try await pool.query("SELECT pg_backend_pid()").scalar(Int32.self)
        #expect(replacement != nil && replacement != pid)
        await pool.close()
    }
}
