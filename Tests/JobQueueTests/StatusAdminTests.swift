import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Queue status and job administration")
struct StatusAdminTests {
    // MARK: QueueStatus

    @Test("the status counts jobs by queue, kind and state, and ages the oldest waiting job of a queue without runners")
    func depthsAndOldestWaiting() async throws {
        try await withQueue { try await depthsAndOldestWaiting($0) }
    }

    private func depthsAndOldestWaiting(_ db: QueueDatabase) async throws {
        try await db.enqueue(batch: (0..<3).map { _ in NewJob(kind: "mail", queue: "outbox") })
        try await db.enqueue(NewJob(kind: "sms", queue: "outbox"))
        try await db.enqueue(NewJob(kind: "mail", queue: "outbox", runAt: Date().addingTimeInterval(3600)))
        try await db.enqueue(NewJob(kind: "report", queue: "reports", runAt: Date().addingTimeInterval(3600)))
        try await db.admin.execute("UPDATE job_queue.jobs SET run_at = now() - interval '2 minutes', created_at = now() - interval '2 minutes' WHERE kind = 'sms'")
        let status = try await QueueStatus.read(from: db.app)
        let depths = status.depths.map { "\($0.queue)/\($0.kind)/\($0.state)=\($0.count)" }
        #expect(depths == ["outbox/mail/available=3", "outbox/mail/scheduled=1", "outbox/sms/available=1", "reports/report/scheduled=1"])
        let outbox = try #require(status.oldestWaitingSeconds["outbox"])
        #expect(outbox >= 119 && outbox < 3600)
        #expect(status.oldestWaitingSeconds["reports"] == nil, "nothing in reports may run yet, and no runner serves it")
        #expect(status.runners.isEmpty)
        #expect(status.recentFailures.isEmpty)
    }

    @Test("the status shows a running runner alive with its running job, a silent one lost, a stopped one stopped")
    func runnerConditions() async throws {
        try await withQueue { try await runnerConditions($0) }
    }

    private func runnerConditions(_ db: QueueDatabase) async throws {
        let lost = UUID()
        try await db.admin.execute("""
            INSERT INTO job_queue.runners (id, host, pid, queues, heartbeat_at, progress_at)
            VALUES (\(lost), 'gone', 1, ARRAY['default'], now() - interval '1 minute', now() - interval '1 minute')
            """)
        // Lost long ago: its jobs were taken up, so it shows as gone and no longer alarms.
        let longLost = UUID()
        try await db.admin.execute("""
            INSERT INTO job_queue.runners (id, host, pid, queues, heartbeat_at, progress_at)
            VALUES (\(longLost), 'gone', 2, ARRAY['default'], now() - interval '11 minutes', now() - interval '11 minutes')
            """)
        let gate = Gate()
        let handle = db.makeRunner()
        handle.runner.register(kind: "long") { _ in await gate.wait(); return .done }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "long"))
        #expect(try await db.waitFor(id, toBe: "running"))
        let status = try await QueueStatus.read(from: db.app, deadAfter: .seconds(10))
        let live = try #require(status.runners.first { $0.id == handle.runner.id })
        #expect(live.condition == "alive")
        #expect(live.running == 1)
        #expect(live.stoppedAt == nil)
        #expect(live.pid == Int(ProcessInfo.processInfo.processIdentifier))
        #expect(status.runners.first { $0.id == lost }?.condition == "lost")
        #expect(status.runners.first { $0.id == longLost }?.condition == "gone")
        #expect(status.oldestWaitingSeconds["default"] == 0, "a queue a runner serves, nothing waiting: 0, not missing")
        #expect(status.depths.contains { $0.kind == "long" && $0.state == "running" && $0.count == 1 })
        gate.open()
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        try await db.stop(handle.runner)
        try await expectStopped(db, handle.runner.id)
    }

    private func expectStopped(_ db: QueueDatabase, _ id: UUID) async throws {
        let after = try await QueueStatus.read(from: db.app)
        let stopped = try #require(after.runners.first { $0.id == id })
        #expect(stopped.condition == "stopped")
        #expect(stopped.stoppedAt != nil)
        #expect(stopped.succeeded == 1)
        #expect(stopped.running == 0)
    }

    @Test("recent failures show a failed job with its error and tenant, and a job waiting to retry")
    func recentFailures() async throws {
        try await withQueue { try await recentFailures($0) }
    }

    private func recentFailures(_ db: QueueDatabase) async throws {
        let tenant = UUID()
        let handle = db.makeRunner()
        handle.runner.register(kind: "broken", retry: quickRetry) { _ in throw PermanentJobFailure("receiver refused the file") }
        let slowRetry = RetryPolicy(base: .seconds(3600), maximum: .seconds(3600), jitter: 0)
        handle.runner.register(kind: "flaky", retry: slowRetry) { _ in throw HandlerError("receiver down") }
        db.start(handle)
        let failed = try await db.enqueue(NewJob(kind: "broken", tenant: tenant))
        let retrying = try await db.enqueue(NewJob(kind: "flaky"))
        #expect(try await db.waitFor(failed, toBe: "failed"))
        #expect(try await db.waitFor(retrying, toBe: "scheduled"))
        let status = try await QueueStatus.read(from: db.app)
        let first = try #require(status.recentFailures.first { $0.id == failed })
        #expect(first.state == "failed")
        #expect(first.lastError == "receiver refused the file")
        #expect(first.tenant == tenant)
        #expect(first.attempt == 1)
        let second = try #require(status.recentFailures.first { $0.id == retrying })
        #expect(second.state == "scheduled")
        #expect(second.lastError == "receiver down")
        #expect(status.depths.contains { $0.kind == "broken" && $0.state == "failed" && $0.count == 1 })
        try await db.stop(handle.runner)
    }

    // MARK: JobAdministration

    /// A job that failed for good, written as the superuser.
    private func insertFailedJob(_ db: QueueDatabase, tenant: UUID?, kind: String = "send") async throws -> Int64 {
        let id = try await db.admin.query("""
            INSERT INTO job_queue.jobs (kind, queue, state, attempt, max_attempts, last_error, finished_at, tenant)
            VALUES (\(kind), 'default', 'failed', 3, 3, 'receiver down', now(), \(tenant))
            RETURNING id
            """).scalar(Int64.self)
        return try #require(id)
    }

    @Test("retry makes a failed job run again from its first attempt")
    func retryRunsAFailedJobAgain() async throws {
        try await withQueue { try await retryRunsAFailedJobAgain($0) }
    }

    private func retryRunsAFailedJobAgain(_ db: QueueDatabase) async throws {
        let tenant = UUID()
        let id = try await insertFailedJob(db, tenant: tenant)
        try await db.app.withConnection { try await JobAdministration.retry(id, tenant: tenant, on: $0) }
        #expect(try await db.state(of: id) == "available")
        #expect(try await db.attempt(of: id) == 0)
        #expect(try await db.countJobs(where: "id = \(id) AND finished_at IS NULL") == 1)
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.registerRecording("send", in: log)
        db.start(handle)
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        #expect(log.runs(of: id).map(\.attempt) == [1])
        #expect(try await db.attempt(of: id) == 1)
        try await db.stop(handle.runner)
    }

    @Test("discard deletes a failed job")
    func discardDeletesAFailedJob() async throws {
        try await withQueue { try await discardDeletesAFailedJob($0) }
    }

    private func discardDeletesAFailedJob(_ db: QueueDatabase) async throws {
        let id = try await insertFailedJob(db, tenant: nil)
        let other = try await insertFailedJob(db, tenant: nil)
        try await db.app.withConnection { try await JobAdministration.discard(id, on: $0) }
        #expect(try await db.state(of: id) == nil)
        #expect(try await db.state(of: other) == "failed")
    }

    @Test("retry and discard refuse a job that has not failed, and an unknown one")
    func retryAndDiscardRefuseWrongStates() async throws {
        try await withQueue { try await retryAndDiscardRefuseWrongStates($0) }
    }

    private func retryAndDiscardRefuseWrongStates(_ db: QueueDatabase) async throws {
        let waiting = try await db.enqueue(NewJob(kind: "send"))
        try await db.app.withConnection { connection in
            await #expect(throws: JobAdministration.Failure.notAllowed(id: waiting, state: "available")) {
                try await JobAdministration.retry(waiting, on: connection)
            }
            await #expect(throws: JobAdministration.Failure.notAllowed(id: waiting, state: "available")) {
                try await JobAdministration.discard(waiting, on: connection)
            }
            await #expect(throws: JobAdministration.Failure.notFound(424_242)) {
                try await JobAdministration.retry(424_242, on: connection)
            }
            await #expect(throws: JobAdministration.Failure.notFound(424_242)) {
                try await JobAdministration.discard(424_242, on: connection)
            }
        }
        #expect(try await db.state(of: waiting) == "available")
    }

    @Test("retry and discard of another tenant's job answer not found and change nothing")
    func administrationRespectsTenant() async throws {
        try await withQueue { try await administrationRespectsTenant($0) }
    }

    private func administrationRespectsTenant(_ db: QueueDatabase) async throws {
        let (mine, theirs) = (UUID(), UUID())
        let id = try await insertFailedJob(db, tenant: theirs)
        try await db.app.withConnection { connection in
            await #expect(throws: JobAdministration.Failure.notFound(id)) {
                try await JobAdministration.retry(id, tenant: mine, on: connection)
            }
            await #expect(throws: JobAdministration.Failure.notFound(id)) {
                try await JobAdministration.discard(id, tenant: mine, on: connection)
            }
        }
        let seen = try await db.app.withConnection { connection in
            (try await JobAdministration.state(of: id, tenant: mine, on: connection),
             try await JobAdministration.state(of: id, tenant: theirs, on: connection))
        }
        #expect(seen.0 == nil)
        #expect(seen.1 == "failed")
        #expect(try await db.state(of: id) == "failed")
        #expect(try await db.attempt(of: id) == 3)
        try await db.app.withConnection { try await JobAdministration.discard(id, tenant: theirs, on: $0) }
        #expect(try await db.state(of: id) == nil)
    }

    /// A regression guard: before its fix, retry's UPDATE makes the failed job open again,
    /// which violates `jobs_unique_open` when an open job holds its unique key (a periodic job
    /// whose next slot is already enqueued, say); the raw unique violation escapes instead of
    /// a `JobAdministration.Failure` the CLI and API can answer with.
    @Test("retrying a failed job whose unique key an open job holds answers a Failure")
    func retryWithTakenKey() async throws {
        try await withQueue { try await retryWithTakenKey($0) }
    }

    private func retryWithTakenKey(_ db: QueueDatabase) async throws {
        let failed = try await insertFailedJob(db, tenant: nil)
        try await db.admin.execute("UPDATE job_queue.jobs SET unique_key = 'periodic:sweep' WHERE id = \(failed)")
        let open = try await db.enqueue(NewJob(kind: "send", uniqueKey: "periodic:sweep"))
        let thrown = await retryError(db, failed)
        #expect(thrown is JobAdministration.Failure, "retry threw \(String(describing: thrown))")
        #expect(try await db.state(of: failed) == "failed")
        #expect(try await db.state(of: open) == "available")
    }

    private func retryError(_ db: QueueDatabase, _ id: Int64) async -> (any Error)? {
        do {
            try await db.app.withConnection { try await JobAdministration.retry(id, on: $0) }
            return nil
        } catch {
            return error
        }
    }

    @Test("a cancelled job can be retried")
    func cancelledJobCanBeRetried() async throws {
        try await withQueue { try await cancelledJobCanBeRetried($0) }
    }

    private func cancelledJobCanBeRetried(_ db: QueueDatabase) async throws {
        let id = try await db.enqueue(NewJob(kind: "send"))
        try await db.app.withConnection { connection in
            try await JobAdministration.cancel(id, on: connection)
            try await JobAdministration.retry(id, on: connection)
        }
        #expect(try await db.state(of: id) == "available")
        #expect(try await db.countJobs(where: "id = \(id) AND cancel_requested_at IS NULL AND finished_at IS NULL") == 1)
    }
}
