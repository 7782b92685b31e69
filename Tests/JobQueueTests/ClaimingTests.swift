import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Claiming: exactly once, wake-up, priorities, concurrency, scheduled jobs", .serialized)
struct ClaimingTests {
    // MARK: Several runners

    @Test("three runners on one queue drain 500 jobs, each job running exactly once")
    func threeRunnersRunEachJobOnce() async throws {
        try await withQueue { try await threeRunnersRunEachJobOnce($0) }
    }

    private func threeRunnersRunEachJobOnce(_ db: QueueDatabase) async throws {
        let ids = try await db.enqueue(batch: (0..<500).map { NewJob(kind: "work", payloadJSON: #"{"n":\#($0)}"#) })
        let log = RunLog()
        let runners = (0..<3).map { _ in db.makeRunner(.test(queues: ["default": 5], claimBatch: 10, deadAfter: .seconds(60))) }
        for handle in runners {
            handle.runner.register(kind: "work") { job in
                log.record(job)
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                return .done
            }
            db.start(handle)
        }
        #expect(try await db.waitForJobs(500, where: "state = 'succeeded'", within: .seconds(60)))
        for handle in runners { try await db.stop(handle.runner) }
        #expect(log.count == 500)
        #expect(log.perJob == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        #expect(log.all.allSatisfy { $0.attempt == 1 })
        let ranOn = try await db.admin.query("SELECT count(*) FROM job_queue.runners WHERE succeeded > 0").scalar(Int.self)
        #expect(ranOn ?? 0 >= 2, "the work should have been shared between the runners")
        let succeeded = try await db.admin.query("SELECT coalesce(sum(succeeded), 0)::int8 FROM job_queue.runners").scalar(Int.self)
        #expect(succeeded == 500)
    }

    // MARK: Wake-up

    @Test("a job enqueued while the runner idles runs at once, woken by NOTIFY, not by the 30 s poll")
    func notifyWakesTheRunner() async throws {
        try await withQueue { try await notifyWakesTheRunner($0) }
    }

    private func notifyWakesTheRunner(_ db: QueueDatabase) async throws {
        // A job far in the future keeps the runner's "next scheduled job" timer at 30 s too.
        try await db.enqueue(NewJob(kind: "work", runAt: Date().addingTimeInterval(3600)))
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .seconds(30)))
        handle.runner.registerRecording("work", in: log)
        db.start(handle)
        let warmUp = try await db.enqueue(NewJob(kind: "work"))
        #expect(try await db.waitFor(warmUp, toBe: "succeeded"))
        try await Task.sleep(for: .seconds(1))  // the runner is idle, waiting for up to 30 s
        let id = try await db.enqueue(NewJob(kind: "work"))
        #expect(try await db.waitFor(id, toBe: "succeeded", within: .seconds(15)), "not woken: the poll would take 30 s")
        try await db.stop(handle.runner)
    }

    @Test("a job inserted without a notification still runs, found by the poll")
    func pollFindsUnnotifiedJobs() async throws {
        try await withQueue { try await pollFindsUnnotifiedJobs($0) }
    }

    private func pollFindsUnnotifiedJobs(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .milliseconds(300)))
        handle.runner.registerRecording("work", in: log)
        db.start(handle)
        try await Task.sleep(for: .milliseconds(500))
        let id = try await insertWithoutTrigger(db)
        #expect(try await db.waitFor(id, toBe: "succeeded", within: .seconds(15)))
        #expect(log.count(of: id) == 1)
        try await db.stop(handle.runner)
    }

    /// Regression: in 7387719 `SELECT min(run_at)` answered NULL when nothing was scheduled,
    /// `.scalar(Date.self)` threw on it, and every idle runner polled each second (logging
    /// "claiming failed") whatever its pollInterval; 351217c decodes it as optional.
    @Test("an idle runner polls at its pollInterval: an unnotified job waits for the poll")
    func idleRunnerPollsAtItsInterval() async throws {
        try await withQueue { try await idleRunnerPollsAtItsInterval($0) }
    }

    private func idleRunnerPollsAtItsInterval(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .seconds(30)))
        handle.runner.registerRecording("work", in: log)
        db.start(handle)
        let warmUp = try await db.enqueue(NewJob(kind: "work"))
        #expect(try await db.waitFor(warmUp, toBe: "succeeded"))
        try await Task.sleep(for: .milliseconds(500))
        let id = try await insertWithoutTrigger(db)
        // Nothing woke the runner and its poll is 30 s away: the job must still wait.
        try await Task.sleep(for: .seconds(5))
        #expect(try await db.state(of: id) == "available", "the idle runner polled long before its 30 s pollInterval")
        try await db.stop(handle.runner)
    }

    /// Inserts an available job as the superuser with triggers disabled: no NOTIFY is sent.
    private func insertWithoutTrigger(_ db: QueueDatabase) async throws -> Int64 {
        try await db.admin.withConnection { connection in
            try await connection.execute("SET session_replication_role = replica")
            let id = try await connection.query("""
                INSERT INTO job_queue.jobs (kind, queue, state) VALUES ('work', 'default', 'available') RETURNING id
                """).scalar(Int64.self)
            try await connection.execute("SET session_replication_role = origin")
            return try #require(id)
        }
    }

    // MARK: Priorities and concurrency

    @Test("with one job at a time, waiting jobs of priority 0 run before those of priority 9")
    func prioritiesOrderWaitingJobs() async throws {
        try await withQueue { try await prioritiesOrderWaitingJobs($0) }
    }

    private func prioritiesOrderWaitingJobs(_ db: QueueDatabase) async throws {
        let low = try await db.enqueue(batch: (0..<5).map { _ in NewJob(kind: "work", priority: 9) })
        let middle = try await db.enqueue(NewJob(kind: "work", priority: 5))
        let high = try await db.enqueue(batch: (0..<5).map { _ in NewJob(kind: "work", priority: 0) })
        let log = RunLog()
        let handle = db.makeRunner(.test(queues: ["default": 1]))
        handle.runner.registerRecording("work", in: log)
        db.start(handle)
        #expect(await log.wait(for: 11))
        try await db.stop(handle.runner)
        // Within a priority, the earlier job first.
        #expect(log.all.map(\.id) == high + [middle] + low)
    }

    /// A regression guard: before its fix, the `due` branch of the claim takes scheduled
    /// jobs whose time has come in run_at order and cuts them to `limit` before priorities
    /// are compared, so a due job of priority 9 is claimed before a due job of priority 0 that
    /// fell due a moment later, against the documented (priority, run_at) order.
    @Test("scheduled jobs that have fallen due are also claimed by priority")
    func dueScheduledJobsRunByPriority() async throws {
        try await withQueue { try await dueScheduledJobsRunByPriority($0) }
    }

    private func dueScheduledJobsRunByPriority(_ db: QueueDatabase) async throws {
        try await db.warmUp()
        let base = Date().addingTimeInterval(3)
        let low = try await db.enqueue(batch: (0..<3).map {
            NewJob(kind: "work", priority: 9, runAt: base.addingTimeInterval(Double($0) * 0.01))
        })
        let high = try await db.enqueue(batch: (0..<3).map {
            NewJob(kind: "work", priority: 0, runAt: base.addingTimeInterval(0.1 + Double($0) * 0.01))
        })
        try #require(try await db.countJobs(where: "state = 'scheduled'") == 6, "enqueued too late to be scheduled")
        #expect(try await db.waitForJobs(6, where: "state = 'scheduled' AND run_at <= now()", within: .seconds(10)))
        let log = RunLog()
        let handle = db.makeRunner(.test(queues: ["default": 1]))
        handle.runner.registerRecording("work", in: log)
        db.start(handle)
        #expect(await log.wait(for: 6))
        try await db.stop(handle.runner)
        #expect(log.all.map(\.id) == high + low)
    }

    @Test("a queue with concurrency 2 never runs more than 2 jobs at once")
    func queueConcurrencyIsRespected() async throws {
        try await withQueue { try await queueConcurrencyIsRespected($0) }
    }

    private func queueConcurrencyIsRespected(_ db: QueueDatabase) async throws {
        let meter = ConcurrencyMeter()
        let gate = Gate()
        let handle = db.makeRunner(.test(queues: ["default": 2, "other": 1]))
        handle.runner.register(kind: "work") { _ in
            meter.enter()
            await gate.wait()
            try? await Task.sleep(for: .milliseconds(30))
            meter.leave()
            return .done
        }
        db.start(handle)
        try await db.enqueue(batch: (0..<8).map { _ in NewJob(kind: "work") })
        #expect(await eventually { meter.now == 2 })
        try await Task.sleep(for: .milliseconds(500))  // room to start a third, if it would
        #expect(meter.now == 2)
        #expect(try await db.countJobs(where: "state = 'running'") == 2)
        gate.open()
        #expect(try await db.waitForJobs(8, where: "state = 'succeeded'"))
        #expect(meter.most == 2)
        try await db.stop(handle.runner)
    }

    @Test("each queue has its own concurrency, and a runner claims only from its queues")
    func queuesAreSeparate() async throws {
        try await withQueue { try await queuesAreSeparate($0) }
    }

    private func queuesAreSeparate(_ db: QueueDatabase) async throws {
        let gate = Gate()
        let handle = db.makeRunner(.test(queues: ["slow": 1, "fast": 3]))
        handle.runner.register(kind: "slow") { _ in await gate.wait(); return .done }
        handle.runner.register(kind: "fast") { _ in .done }
        db.start(handle)
        try await db.enqueue(batch: (0..<3).map { _ in NewJob(kind: "slow", queue: "slow") })
        let fast = try await db.enqueue(batch: (0..<10).map { _ in NewJob(kind: "fast", queue: "fast") })
        let elsewhere = try await db.enqueue(NewJob(kind: "fast", queue: "elsewhere"))
        // The slow queue's one slot is taken; the fast queue still drains.
        for id in fast { #expect(try await db.waitFor(id, toBe: "succeeded")) }
        // The slow queue's loop may claim its one job only now, on a busy machine; it never
        // claims a second while the first holds its slot.
        #expect(try await db.waitForJobs(1, where: "queue = 'slow' AND state = 'running'"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await db.countJobs(where: "queue = 'slow' AND state = 'running'") == 1)
        gate.open()
        #expect(try await db.waitForJobs(3, where: "queue = 'slow' AND state = 'succeeded'"))
        #expect(try await db.state(of: elsewhere) == "available")
        try await db.stop(handle.runner)
    }

    @Test("a runner leaves jobs of kinds it has no handler for")
    func unknownKindsAreLeft() async throws {
        try await withQueue { try await unknownKindsAreLeft($0) }
    }

    private func unknownKindsAreLeft(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner()
        handle.runner.register(kind: "known") { _ in .done }
        db.start(handle)
        let unknown = try await db.enqueue(NewJob(kind: "unknown"))
        let known = try await db.enqueue(NewJob(kind: "known"))
        #expect(try await db.waitFor(known, toBe: "succeeded"))
        #expect(try await db.state(of: unknown) == "available")
        #expect(try await db.attempt(of: unknown) == 0)
        try await db.stop(handle.runner)
    }

    // MARK: Scheduled jobs

    @Test("a job scheduled 1.5 s ahead stays scheduled until its time and runs after it")
    func scheduledJobRunsAtItsTime() async throws {
        try await withQueue { try await scheduledJobRunsAtItsTime($0) }
    }

    private func scheduledJobRunsAtItsTime(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .seconds(30)))
        handle.runner.registerRecording("remind", in: log)
        db.start(handle)
        try await db.warmUp()
        let runAt = Date().addingTimeInterval(1.5)
        let id = try await db.enqueue(NewJob(kind: "remind", runAt: runAt))
        #expect(try await db.state(of: id) == "scheduled")
        #expect(log.count(of: id) == 0)
        // Runs by the runner's timer for its next scheduled job (the poll is 30 s away).
        #expect(try await db.waitFor(id, toBe: "succeeded", within: .seconds(15)))
        let run = try #require(log.runs(of: id).first)
        #expect(run.at >= runAt.addingTimeInterval(-0.001), "ran \(runAt.timeIntervalSince(run.at)) s early")
        #expect(log.count(of: id) == 1)
        try await db.stop(handle.runner)
    }
}
