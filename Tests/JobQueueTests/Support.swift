import Foundation
import JobQueue
import Logging
import Postgres
import Synchronization
import Testing
import TestSupport

// Helpers for the job queue's tests: bounded waits, a fresh database per test with a
// superuser pool (to set up and inspect rows) and the application role's pool (to enqueue and
// administer, as the servers do), runners that are always shut down, and small thread-safe
// recorders for what handlers saw.

// MARK: - Bounded waits: TestSupport/BoundedWaits.swift

/// Sleeps even when the task is cancelled: a handler that ignores cancellation.
func sleepIgnoringCancellation(_ duration: Duration) async {
    await Task.detached { try? await Task.sleep(for: duration) }.value
}

// MARK: - Shared state for handlers

/// A value shared between tasks, behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    @discardableResult
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// One run of a handler, as the handler saw it.
struct Run: Sendable, Equatable {
    let id: Int64
    let kind: String
    let attempt: Int
    let payload: String
    let at: Date
}

/// Records every run handlers make, in order.
final class RunLog: Sendable {
    private let runs = Locked<[Run]>([])

    func record(_ job: Job) {
        let run = Run(id: job.id, kind: job.kind, attempt: job.attempt, payload: job.payload, at: Date())
        runs.withLock { $0.append(run) }
    }

    var all: [Run] { runs.value }
    var count: Int { runs.value.count }
    func runs(of id: Int64) -> [Run] { all.filter { $0.id == id } }
    func count(of id: Int64) -> Int { runs(of: id).count }

    /// Runs per job id.
    var perJob: [Int64: Int] {
        Dictionary(all.map { ($0.id, 1) }, uniquingKeysWith: +)
    }

    func wait(for count: Int, within limit: Duration = .seconds(45)) async -> Bool {
        await eventually(within: limit) { self.count >= count }
    }
}

/// A gate handlers wait at until the test opens it. `wait()` ignores cancellation;
/// `waitHonouringCancellation()` throws `CancellationError` when the task is cancelled.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.isOpen } }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func waitHonouringCancellation() async throws {
        while !isOpen { try await Task.sleep(for: .milliseconds(20)) }
    }
}

/// Counts handlers running at once and the most there ever were.
final class ConcurrencyMeter: Sendable {
    private let state = Locked<(now: Int, most: Int)>((0, 0))
    func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var now: Int { state.value.now }
    var most: Int { state.value.most }
}

/// An error whose description the tests look for in `last_error`.
struct HandlerError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

// MARK: - Configuration

let testLogger: Logger = {
    var logger = Logger(label: "relieflink.jobqueue.tests")
    logger.logLevel = .warning
    return logger
}()

extension JobRunner.Configuration {
    /// Small intervals for tests. `deadAfter` stays well above the heartbeat so that a loaded
    /// machine does not make a live runner look dead (the rescue tests backdate by a minute).
    static func test(
        queues: [String: Int] = ["default": 4],
        claimBatch: Int = 100,
        pollInterval: Duration = .seconds(1),
        heartbeatInterval: Duration = .milliseconds(200),
        deadAfter: Duration = .seconds(10),
        shutdownGrace: Duration = .seconds(5),
        retention: Duration = .seconds(7 * 86_400),
        failedRetention: Duration = .seconds(30 * 86_400),
        stallAfter: Duration = .seconds(30),
        leaderLease: Duration = .seconds(10)
    ) -> Self {
        Self(queues: queues, claimBatch: claimBatch, pollInterval: pollInterval, heartbeatInterval: heartbeatInterval,
             deadAfter: deadAfter, shutdownGrace: shutdownGrace, retention: retention, failedRetention: failedRetention,
             stallAfter: stallAfter, leaderLease: leaderLease)
    }
}

/// A retry policy that retries almost at once.
let quickRetry = RetryPolicy(base: .milliseconds(10), maximum: .milliseconds(50), jitter: 0)

// MARK: - A fresh database per test

/// A new migrated database with a superuser pool (`admin`) and a pool of the application's
/// login role (`app`), and the runners started on it; `close()` stops and closes everything.
final class QueueDatabase: Sendable {
    let superuserConfiguration: ConnectionConfiguration
    let appConfiguration: ConnectionConfiguration
    /// The superuser: sets up rows a test needs (backdated, dead runners) and inspects.
    let admin: ConnectionPool
    /// The application's login role, as the servers use.
    let app: ConnectionPool
    private let runners = Locked<[StartedRunner]>([])

    struct StartedRunner: Sendable {
        let runner: JobRunner
        let pool: ConnectionPool
        let task: Task<Void, Error>
    }

    private init(superuser: ConnectionConfiguration) {
        superuserConfiguration = superuser
        appConfiguration = TestDatabase.appConfiguration(superuser)
        admin = ConnectionPool(ConnectionPool.Configuration(connection: superuser, maximumConnections: 3), logger: testLogger)
        app = ConnectionPool(ConnectionPool.Configuration(connection: appConfiguration, maximumConnections: 4), logger: testLogger)
    }

    static func create() async throws -> QueueDatabase {
        QueueDatabase(superuser: try await TestDatabase.create(migrated: true))
    }

    /// A runner on a pool of its own (application role), not started yet.
    func makeRunner(_ configuration: JobRunner.Configuration = .test(), connections: Int = 4) -> RunnerHandle {
        let pool = ConnectionPool(
            ConnectionPool.Configuration(connection: appConfiguration, maximumConnections: connections), logger: testLogger)
        return RunnerHandle(runner: JobRunner(pool: pool, configuration: configuration, logger: testLogger), pool: pool)
    }

    /// Starts `handle`'s runner; `stop` or `close` ends it.
    @discardableResult
    func start(_ handle: RunnerHandle) -> JobRunner {
        let runner = handle.runner
        let task = Task { try await runner.run() }
        runners.withLock { $0.append(StartedRunner(runner: runner, pool: handle.pool, task: task)) }
        return runner
    }

    /// Shuts `runner` down, waits (bounded) for `run()` to return and closes its pool;
    /// rethrows what `run()` threw.
    func stop(_ runner: JobRunner, within limit: Duration = .seconds(30)) async throws {
        let started = runners.withLock { list -> StartedRunner? in
            guard let index = list.firstIndex(where: { $0.runner.id == runner.id }) else { return nil }
            return list.remove(at: index)
        }
        guard let started else { return }
        started.runner.shutdown()
        let outcome = try await result(of: started.task, within: limit)
        await started.pool.close()
        try outcome.get()
    }

    /// Stops every runner still running and closes the pools (also after a failed test).
    func close() async {
        for started in runners.value { try? await stop(started.runner) }
        await app.close()
        await admin.close()
    }

    // MARK: Shortcuts

    /// Opens a connection in each pool, so that a test that computes a time a moment ahead
    /// does not spend that moment connecting.
    func warmUp() async throws {
        try await app.execute("SELECT 1")
        try await admin.execute("SELECT 1")
    }

    /// Enqueues one job with the application role, outside any transaction.
    @discardableResult
    func enqueue(_ job: NewJob) async throws -> Int64 {
        try await app.withConnection { try await JobQueue.enqueue(job, on: $0).id }
    }

    /// Enqueues jobs with the application role, in one statement.
    @discardableResult
    func enqueue(batch jobs: [NewJob]) async throws -> [Int64] {
        try await app.withConnection { try await JobQueue.enqueue(batch: jobs, on: $0) }
    }

    func state(of id: Int64) async throws -> String? {
        try await admin.query("SELECT state::text FROM job_queue.jobs WHERE id = \(id)").scalar(String.self)
    }

    func attempt(of id: Int64) async throws -> Int? {
        try await admin.query("SELECT attempt::int8 FROM job_queue.jobs WHERE id = \(id)").scalar(Int.self)
    }

    func lastError(of id: Int64) async throws -> String? {
        try await admin.query("SELECT last_error FROM job_queue.jobs WHERE id = \(id)").scalar(String?.self) ?? nil
    }

    /// `SELECT count(*) FROM job_queue.jobs WHERE <condition>` (the condition is the test's own SQL).
    func countJobs(where condition: String = "true") async throws -> Int {
        try await admin.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM job_queue.jobs WHERE \(condition)"))
            .scalar(Int.self) ?? 0
    }

    /// Waits until job `id` is in `state`; false if it was not within `limit`.
    func waitFor(_ id: Int64, toBe expected: String, within limit: Duration = .seconds(45)) async throws -> Bool {
        try await eventually(within: limit) { try await self.state(of: id) == expected }
    }

    /// Waits until `count` jobs match `condition`.
    func waitForJobs(_ count: Int, where condition: String, within limit: Duration = .seconds(45)) async throws -> Bool {
        try await eventually(within: limit) { try await self.countJobs(where: condition) == count }
    }
}

/// A runner not yet started, with the pool it owns.
struct RunnerHandle: Sendable {
    let runner: JobRunner
    let pool: ConnectionPool
}

/// Runs `body` on a fresh queue database, which is closed afterwards whatever happens.
func withQueue(_ body: (QueueDatabase) async throws -> Void) async throws {
    let database = try await QueueDatabase.create()
    do {
        try await body(database)
        await database.close()
    } catch {
        await database.close()
        throw error
    }
}

extension JobRunner {
    /// Registers `kind` with a handler that records each run in `log` and succeeds.
    func registerRecording(_ kind: String, in log: RunLog, timeout: Duration = .seconds(60)) {
        register(kind: kind, timeout: timeout) { job in
            log.record(job)
            return .done
        }
    }
}
