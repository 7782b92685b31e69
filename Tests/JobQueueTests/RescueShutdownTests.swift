import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Rescue of dead runners' jobs, and graceful shutdown", .serialized)
struct RescueShutdownTests {
    /// A runner that died a minute ago holding one job (as the superuser writes it).
    private func insertDeadRunnersJob(_ db: QueueDatabase, attempt: Int32, maxAttempts: Int32) async throws -> (runner: UUID, job: Int64) {
        let runner = UUID()
        try await db.admin.execute("""
            INSERT INTO job_queue.runners (id, host, pid, queues, started_at, heartbeat_at, progress_at)
            VALUES (\(runner), 'gone-host', 4242, ARRAY['default'], now() - interval '10 minutes',
                    now() - interval '1 minute', now() - interval '1 minute')
            """)
        let job = try await db.admin.query("""
            INSERT INTO job_queue.jobs (kind, queue, state, runner_id, heartbeat_at, attempt, max_attempts, started_at, run_at)
            VALUES ('send', 'default', 'running', \(runner), now() - interval '1 minute', \(attempt), \(maxAttempts),
                    now() - interval '2 minutes', now() - interval '2 minutes')
            RETURNING id
            """).scalar(Int64.self)
        return (runner, try #require(job))
    }

    @Test("a job whose runner stopped sending heartbeats is taken back and run by a live runner")
    func deadRunnersJobIsRescued() async throws {
        try await withQueue { try await deadRunnersJobIsRescued($0) }
    }

    private func deadRunnersJobIsRescued(_ db: QueueDatabase) async throws {
        let (dead, id) = try await insertDeadRunnersJob(db, attempt: 1, maxAttempts: 20)
        let log = RunLog()
        let handle = db.makeRunner(.test(heartbeatInterval: .milliseconds(200), deadAfter: .seconds(10)))
        handle.runner.registerRecording("send", in: log)
        db.start(handle)
        #expect(try await db.waitFor(id, toBe: "succeeded", within: .seconds(15)))
        #expect(log.runs(of: id).map(\.attempt) == [2])
        let error = try await db.lastError(of: id) ?? ""
        #expect(error.contains("heartbeats"))
        #expect(error.contains(dead.uuidString.lowercased()))
        try await db.stop(handle.runner)
    }

    @Test("a job on its last attempt whose runner died ends failed and does not run again")
    func deadRunnersLastAttemptFails() async throws {
        try await withQueue { try await deadRunnersLastAttemptFails($0) }
    }

    private func deadRunnersLastAttemptFails(_ db: QueueDatabase) async throws {
        let (_, id) = try await insertDeadRunnersJob(db, attempt: 3, maxAttempts: 3)
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.registerRecording("send", in: log)
        db.start(handle)
        #expect(try await db.waitFor(id, toBe: "failed", within: .seconds(15)))
        #expect(try await db.lastError(of: id)?.contains("heartbeats") == true)
        #expect(try await db.countJobs(where: "id = \(id) AND finished_at IS NOT NULL AND runner_id IS NULL") == 1)
        let control = try await db.enqueue(NewJob(kind: "send"))
        #expect(try await db.waitFor(control, toBe: "succeeded"))
        #expect(log.count(of: id) == 0)
        try await db.stop(handle.runner)
    }

    @Test("a live runner's long job is not rescued: its heartbeats keep it")
    func liveRunnersJobIsNotRescued() async throws {
        try await withQueue { try await liveRunnersJobIsNotRescued($0) }
    }

    private func liveRunnersJobIsNotRescued(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let gate = Gate()
        let config = JobRunner.Configuration.test(heartbeatInterval: .milliseconds(200), deadAfter: .seconds(2))
        let (first, second) = (db.makeRunner(config), db.makeRunner(config))
        for handle in [first, second] {
            handle.runner.register(kind: "long") { job in log.record(job); await gate.wait(); return .done }
            db.start(handle)
        }
        let id = try await db.enqueue(NewJob(kind: "long"))
        try await Task.sleep(for: .seconds(4))  // twice deadAfter
        gate.open()
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        #expect(log.count(of: id) == 1)
        #expect(try await db.lastError(of: id) == nil)
        for handle in [first, second] { try await db.stop(handle.runner) }
    }

    // MARK: Shutdown

    @Test("on shutdown a job that finishes within the grace period completes")
    func shutdownLetsJobsFinish() async throws {
        try await withQueue { try await shutdownLetsJobsFinish($0) }
    }

    private func shutdownLetsJobsFinish(_ db: QueueDatabase) async throws {
        let started = Locked(false)
        let handle = db.makeRunner(.test(shutdownGrace: .seconds(15)))
        handle.runner.register(kind: "short") { _ in
            started.withLock { $0 = true }
            await sleepIgnoringCancellation(.milliseconds(800))
            return .done
        }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "short"))
        #expect(await eventually { started.value })
        #expect(await eventually { handle.runner.health.isLeader })
        try await db.stop(handle.runner)
        #expect(try await db.state(of: id) == "succeeded")
        #expect(try await db.attempt(of: id) == 1)
        try await expectStoppedCleanly(db, handle.runner)
    }

    @Test("on shutdown a job that outlasts the grace period is handed back uncounted, and another runner runs it")
    func shutdownHandsBackLongJobs() async throws {
        try await withQueue { try await shutdownHandsBackLongJobs($0) }
    }

    private func shutdownHandsBackLongJobs(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let first = db.makeRunner(.test(shutdownGrace: .milliseconds(300)))
        first.runner.register(kind: "long") { job in
            log.record(job)
            try await Task.sleep(for: .seconds(120))
            return .done
        }
        db.start(first)
        let id = try await db.enqueue(NewJob(kind: "long"))
        #expect(await eventually { log.count == 1 })
        #expect(await eventually { first.runner.health.isLeader })
        try await db.stop(first.runner)
        #expect(try await db.state(of: id) == "available")
        #expect(try await db.attempt(of: id) == 0)
        #expect(try await db.lastError(of: id)?.contains("handed back") == true)
        try await expectStoppedCleanly(db, first.runner)
        try await secondRunnerRuns(db, id, log)
        #expect(log.runs(of: id).map(\.attempt) == [1, 1])
    }

    private func secondRunnerRuns(_ db: QueueDatabase, _ id: Int64, _ log: RunLog) async throws {
        let second = db.makeRunner()
        second.runner.registerRecording("long", in: log)
        db.start(second)
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        try await db.stop(second.runner)
    }

    /// After `run()` returned: the runner's row says it stopped and it holds no lease or job.
    private func expectStoppedCleanly(_ db: QueueDatabase, _ runner: JobRunner) async throws {
        let stopped = try await db.admin.query("SELECT stopped_at FROM job_queue.runners WHERE id = \(runner.id)").scalar(Date?.self) ?? nil
        #expect(stopped != nil)
        let leases = try await db.admin.query("SELECT count(*) FROM job_queue.leases WHERE holder = \(runner.id)").scalar(Int.self)
        #expect(leases == 0)
        #expect(try await db.countJobs(where: "runner_id = '\(runner.id.uuidString)'") == 0)
    }

    @Test("shutdown with nothing running returns promptly and records the stop")
    func idleShutdown() async throws {
        try await withQueue { try await idleShutdown($0) }
    }

    private func idleShutdown(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner(.test(pollInterval: .seconds(30), shutdownGrace: .seconds(30)))
        handle.runner.register(kind: "any") { _ in .done }
        db.start(handle)
        #expect(await eventually { handle.runner.health.isLeader })
        // Bounded well below the 30 s poll and grace: shutdown wakes the loops.
        try await db.stop(handle.runner, within: .seconds(15))
        try await expectStoppedCleanly(db, handle.runner)
    }
}
