import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Pruning and the watchdog", .serialized)
struct MaintenanceTests {
    /// A finished job, finished `age` ago (SQL interval text), written as the superuser.
    private func insertFinished(_ db: QueueDatabase, _ state: String, age: String) async throws -> Int64 {
        let id = try await db.admin.query(PostgresQuery(unsafeSQL: """
            INSERT INTO job_queue.jobs (kind, queue, state, attempt, finished_at, last_error)
            VALUES ('done', 'default', '\(state)', 1, now() - interval '\(age)', CASE WHEN '\(state)' = 'failed' THEN 'x' END)
            RETURNING id
            """)).scalar(Int64.self)
        return try #require(id)
    }

    @Test("the leader deletes finished jobs past their retention and keeps recent ones and failed ones within theirs")
    func leaderPrunesOldJobs() async throws {
        try await withQueue { try await leaderPrunesOldJobs($0) }
    }

    private func leaderPrunesOldJobs(_ db: QueueDatabase) async throws {
        let oldSucceeded = try await insertFinished(db, "succeeded", age: "2 hours")
        let oldCancelled = try await insertFinished(db, "cancelled", age: "2 hours")
        let recentSucceeded = try await insertFinished(db, "succeeded", age: "1 minute")
        let failedWithin = try await insertFinished(db, "failed", age: "2 hours")
        let failedPast = try await insertFinished(db, "failed", age: "3 days")
        let waiting = try await db.enqueue(NewJob(kind: "not-handled", runAt: Date().addingTimeInterval(-86_400 * 30)))
        let handle = db.makeRunner(.test(retention: .seconds(3600), failedRetention: .seconds(86_400)))
        db.start(handle)
        #expect(try await eventually { try await db.countJobs(where: "id IN (\(oldSucceeded), \(failedPast))") == 0 })
        #expect(handle.runner.health.isLeader)
        #expect(try await db.state(of: oldCancelled) == nil)
        #expect(try await db.state(of: recentSucceeded) == "succeeded")
        #expect(try await db.state(of: failedWithin) == "failed")
        #expect(try await db.state(of: waiting) == "available")
        try await db.stop(handle.runner)
    }

    @Test("a retention of one second prunes a job that succeeded a moment ago")
    func tinyRetentionPrunes() async throws {
        try await withQueue { try await tinyRetentionPrunes($0) }
    }

    private func tinyRetentionPrunes(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner(.test(retention: .seconds(1)))
        let old = try await insertFinished(db, "succeeded", age: "5 seconds")
        let failed = try await insertFinished(db, "failed", age: "5 seconds")
        db.start(handle)
        #expect(try await eventually { try await db.state(of: old) == nil })
        #expect(try await db.state(of: failed) == "failed")
        try await db.stop(handle.runner)
    }

    @Test("a runner that is not the leader does not prune")
    func followersDoNotPrune() async throws {
        try await withQueue { try await followersDoNotPrune($0) }
    }

    private func followersDoNotPrune(_ db: QueueDatabase) async throws {
        try await db.admin.execute("INSERT INTO job_queue.leases (name, holder, expires_at) VALUES ('leader', \(UUID()), now() + interval '1 hour')")
        let old = try await insertFinished(db, "succeeded", age: "2 hours")
        let handle = db.makeRunner(.test(retention: .seconds(1)))
        db.start(handle)
        try await Task.sleep(for: .seconds(1))
        #expect(!handle.runner.health.isLeader)
        #expect(try await db.state(of: old) == "succeeded")
        try await db.stop(handle.runner)
    }

    // MARK: Watchdog

    @Test("a handler that ignores cancellation and outlives its time-out stalls the runner, visibly in the status")
    func watchdogReportsStalledJob() async throws {
        try await withQueue { try await watchdogReportsStalledJob($0) }
    }

    private func watchdogReportsStalledJob(_ db: QueueDatabase) async throws {
        let gate = Gate()
        let handle = db.makeRunner(.test(heartbeatInterval: .milliseconds(200), stallAfter: .milliseconds(300)))
        handle.runner.register(kind: "stuck", timeout: .milliseconds(200), retry: quickRetry) { _ in
            await gate.wait()  // ignores cancellation
            return .done
        }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "stuck", maxAttempts: 1))
        #expect(await eventually { handle.runner.health.stalledSince != nil })
        #expect(try await eventually { try await stalledInDatabase(db, handle.runner.id) })
        let status = try await QueueStatus.read(from: db.app, deadAfter: .seconds(10))
        #expect(status.runners.first { $0.id == handle.runner.id }?.condition == "stalled")
        gate.open()
        #expect(try await db.waitFor(id, toBe: "failed"))
        #expect(try await db.lastError(of: id)?.contains("timed out") == true)
        #expect(await eventually { handle.runner.health.stalledSince == nil })
        try await db.stop(handle.runner)
    }

    @Test("a runner whose claims wait on the database is reported stalled while they wait, not once they are answered")
    func watchdogReportsBlockedClaims() async throws {
        try await withQueue { try await watchdogReportsBlockedClaims($0) }
    }

    private func watchdogReportsBlockedClaims(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner(.test(pollInterval: .milliseconds(100), heartbeatInterval: .milliseconds(100), stallAfter: .milliseconds(500)))
        handle.runner.register(kind: "any") { _ in .done }
        db.start(handle)
        try await Task.sleep(for: .milliseconds(500))
        #expect(handle.runner.health.stalledSince == nil)
        // An operator's lock on the queue's table: every claim (and heartbeat) waits on it.
        let locker = try await PostgresConnection.connect(db.superuserConfiguration)
        try await locker.executeScript("BEGIN; LOCK TABLE job_queue.jobs IN ACCESS EXCLUSIVE MODE")
        let stalledWhileLocked = await eventually { handle.runner.health.stalledSince != nil }
        try await locker.executeScript("COMMIT")
        await locker.close()
        #expect(stalledWhileLocked, "the stall shows while the lock is held")
        #expect(await eventually { handle.runner.health.stalledSince == nil }, "and ends once claims are answered again")
        try await db.stop(handle.runner)
    }

    private func stalledInDatabase(_ db: QueueDatabase, _ runner: UUID) async throws -> Bool {
        let since = try await db.admin.query("SELECT stalled_since FROM job_queue.runners WHERE id = \(runner)").scalar(Date?.self)
        return (since ?? nil) != nil
    }

    @Test("an idle runner is not reported stalled")
    func idleRunnerIsNotStalled() async throws {
        try await withQueue { try await idleRunnerIsNotStalled($0) }
    }

    private func idleRunnerIsNotStalled(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner(.test(pollInterval: .milliseconds(500), heartbeatInterval: .milliseconds(200), stallAfter: .seconds(3)))
        handle.runner.register(kind: "any") { _ in .done }
        db.start(handle)
        try await Task.sleep(for: .seconds(2))
        #expect(handle.runner.health.stalledSince == nil)
        #expect(!(try await stalledInDatabase(db, handle.runner.id)))
        try await db.stop(handle.runner)
    }
}
