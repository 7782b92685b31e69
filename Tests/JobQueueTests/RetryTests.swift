import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Retries, permanent failures, time-outs and snoozes", .serialized)
struct RetryTests {
    /// Throws on the first `failures` runs of each job, then succeeds.
    private func flaky(_ log: RunLog, failures: Int) -> @Sendable (Job) async throws -> JobOutcome {
        { job in
            log.record(job)
            if log.count(of: job.id) <= failures { throw HandlerError("flaky failure \(log.count(of: job.id))") }
            return .done
        }
    }

    @Test("a handler that throws twice then succeeds runs three attempts and ends succeeded")
    func retriesUntilSuccess() async throws {
        try await withQueue { try await retriesUntilSuccess($0) }
    }

    private func retriesUntilSuccess(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.register(kind: "flaky", retry: quickRetry, flaky(log, failures: 2))
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "flaky"))
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        #expect(log.runs(of: id).map(\.attempt) == [1, 2, 3])
        #expect(try await db.attempt(of: id) == 3)
        #expect(try await db.lastError(of: id) == "flaky failure 2")
        try await db.stop(handle.runner)
        let failed = try await db.admin.query("SELECT failed FROM job_queue.runners").scalar(Int64.self)
        #expect(failed == 2)
    }

    @Test("a failed attempt waits its back-off: the job is scheduled again with the error kept")
    func failedAttemptIsScheduled() async throws {
        try await withQueue { try await failedAttemptIsScheduled($0) }
    }

    private func failedAttemptIsScheduled(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner()
        let slow = RetryPolicy(base: .seconds(3600), maximum: .seconds(3600), jitter: 0)
        handle.runner.register(kind: "flaky", retry: slow, flaky(log, failures: 5))
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "flaky"))
        #expect(try await db.waitFor(id, toBe: "scheduled"))
        let delay = try await db.admin.query("""
            SELECT extract(epoch FROM run_at - now())::float8 FROM job_queue.jobs WHERE id = \(id)
            """).scalar(Double.self)
        #expect((3500...3600).contains(delay ?? 0), "retry scheduled \(delay ?? 0) s ahead, not about an hour")
        #expect(try await db.attempt(of: id) == 1)
        #expect(try await db.lastError(of: id) == "flaky failure 1")
        #expect(log.count(of: id) == 1)
        try await db.stop(handle.runner)
    }

    @Test("a job that always throws fails for good after maxAttempts, with its last error and finish time")
    func attemptsRunOut() async throws {
        try await withQueue { try await attemptsRunOut($0) }
    }

    private func attemptsRunOut(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.register(kind: "broken", retry: quickRetry, flaky(log, failures: .max))
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "broken", maxAttempts: 3))
        #expect(try await db.waitFor(id, toBe: "failed"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(log.runs(of: id).map(\.attempt) == [1, 2, 3])
        #expect(try await db.attempt(of: id) == 3)
        #expect(try await db.lastError(of: id)?.contains("flaky failure 3") == true)
        let finished = try await db.admin.query("SELECT finished_at FROM job_queue.jobs WHERE id = \(id)").scalar(Date?.self) ?? nil
        #expect(finished != nil)
        try await db.stop(handle.runner)
    }

    @Test("a PermanentJobFailure fails the job after one attempt")
    func permanentFailureFailsAtOnce() async throws {
        try await withQueue { try await permanentFailureFailsAtOnce($0) }
    }

    private func permanentFailureFailsAtOnce(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.register(kind: "hopeless", retry: quickRetry) { job in
            log.record(job)
            throw PermanentJobFailure("the case was withdrawn")
        }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "hopeless", maxAttempts: 20))
        #expect(try await db.waitFor(id, toBe: "failed"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(log.count(of: id) == 1)
        #expect(try await db.attempt(of: id) == 1)
        #expect(try await db.lastError(of: id) == "the case was withdrawn")
        try await db.stop(handle.runner)
    }

    @Test("a handler that runs past its kind's time-out is cancelled and the attempt counts as failed")
    func timeoutFailsTheAttempt() async throws {
        try await withQueue { try await timeoutFailsTheAttempt($0) }
    }

    private func timeoutFailsTheAttempt(_ db: QueueDatabase) async throws {
        let cancelled = Locked(0)
        let handle = db.makeRunner()
        handle.runner.register(kind: "slow", timeout: .milliseconds(200), retry: quickRetry) { _ in
            do { try await Task.sleep(for: .seconds(60)) } catch { cancelled.withLock { $0 += 1 }; throw error }
            return .done
        }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "slow", maxAttempts: 2))
        #expect(try await db.waitFor(id, toBe: "failed"))
        #expect(cancelled.value == 2)
        #expect(try await db.lastError(of: id)?.contains("timed out") == true)
        try await db.stop(handle.runner)
    }

    @Test("a snoozed job runs again at its time without using up an attempt")
    func snoozeDoesNotCountAnAttempt() async throws {
        try await withQueue { try await snoozeDoesNotCountAnAttempt($0) }
    }

    private func snoozeDoesNotCountAnAttempt(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let until = Locked<Date?>(nil)
        let handle = db.makeRunner()
        handle.runner.register(kind: "timer") { job in
            log.record(job)
            guard log.count(of: job.id) == 1 else { return .done }
            let wake = Date().addingTimeInterval(0.5)
            until.withLock { $0 = wake }
            return .snooze(until: wake)
        }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "timer", maxAttempts: 1))
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        let runs = log.runs(of: id)
        #expect(runs.map(\.attempt) == [1, 1])
        #expect(try await db.attempt(of: id) == 1)
        let wake = try #require(until.value)
        #expect(runs.count == 2 && runs[1].at >= wake.addingTimeInterval(-0.001), "the snoozed job ran before its time")
        try await db.stop(handle.runner)
    }

    @Test("a snoozed job waits in state scheduled with its attempt given back")
    func snoozedJobIsScheduled() async throws {
        try await withQueue { try await snoozedJobIsScheduled($0) }
    }

    private func snoozedJobIsScheduled(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner()
        handle.runner.register(kind: "timer") { _ in .snooze(until: Date().addingTimeInterval(3600)) }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "timer"))
        #expect(try await db.waitFor(id, toBe: "scheduled"))
        #expect(try await db.attempt(of: id) == 0)
        #expect(try await db.lastError(of: id) == nil)
        try await db.stop(handle.runner)
    }
}
