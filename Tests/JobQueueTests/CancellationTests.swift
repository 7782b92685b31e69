import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Cancelling jobs", .serialized)
struct CancellationTests {
    @Test("cancelling a waiting job makes it cancelled, and it never runs")
    func cancelWaitingJob() async throws {
        try await withQueue { try await cancelWaitingJob($0) }
    }

    private func cancelWaitingJob(_ db: QueueDatabase) async throws {
        let waiting = try await db.enqueue(NewJob(kind: "send"))
        let scheduled = try await db.enqueue(NewJob(kind: "send", runAt: Date().addingTimeInterval(1)))
        try await db.app.withConnection { connection in
            try await JobAdministration.cancel(waiting, on: connection)
            try await JobAdministration.cancel(scheduled, on: connection)
        }
        #expect(try await db.state(of: waiting) == "cancelled")
        #expect(try await db.state(of: scheduled) == "cancelled")
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .milliseconds(200)))
        handle.runner.registerRecording("send", in: log)
        db.start(handle)
        let control = try await db.enqueue(NewJob(kind: "send", runAt: Date().addingTimeInterval(1.5)))
        #expect(try await db.waitFor(control, toBe: "succeeded"))
        #expect(log.all.map(\.id) == [control])
        #expect(try await db.countJobs(where: "state = 'cancelled' AND finished_at IS NOT NULL") == 2)
        try await db.stop(handle.runner)
    }

    /// A regression guard: before its fix, the heartbeat cancels the job's
    /// task, and `settle` then runs its UPDATE in that same cancelled task, so the query throws
    /// CancellationError ("could not record a job's run; it will be rescued"). The job stays
    /// `running` until the rescue takes it back after `deadAfter` (here 30 s), with
    /// last_error "its runner stopped sending heartbeats" instead of the handler's end.
    @Test("cancelling a running job cancels its handler within a few heartbeats and ends it cancelled")
    func cancelRunningJob() async throws {
        try await withQueue { try await cancelRunningJob($0) }
    }

    private func cancelRunningJob(_ db: QueueDatabase) async throws {
        let started = Locked(false)
        let sawCancellation = Locked(false)
        let handle = db.makeRunner(.test(heartbeatInterval: .milliseconds(200), deadAfter: .seconds(30)))
        handle.runner.register(kind: "long") { _ in
            started.withLock { $0 = true }
            do { try await Task.sleep(for: .seconds(120)) } catch {
                sawCancellation.withLock { $0 = true }
                throw error
            }
            return .done
        }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "long"))
        #expect(await eventually { started.value })
        try await db.app.withConnection { try await JobAdministration.cancel(id, on: $0) }
        #expect(try await db.state(of: id) == "running", "a running job stays running until its handler stops")
        #expect(await eventually(within: .seconds(10)) { sawCancellation.value }, "the handler was not cancelled")
        // Settled by the runner, well before the 30 s after which a rescue would end it.
        let settled = try await db.waitFor(id, toBe: "cancelled", within: .seconds(10))
        let state = try await db.state(of: id) ?? "gone"
        #expect(settled, "still \(state) 10 s after the cancel request")
        #expect(await eventually { handle.runner.health.running == 0 })
        if settled {
            #expect(try await db.lastError(of: id)?.contains("heartbeats") != true, "ended by the rescue, not by its runner")
            #expect(try await db.countJobs(where: "state = 'cancelled' AND finished_at IS NOT NULL AND runner_id IS NULL") == 1)
        }
        try await db.stop(handle.runner)
    }

    @Test("cancelling a finished job is not allowed; an unknown id is not found")
    func cancelRefusals() async throws {
        try await withQueue { try await cancelRefusals($0) }
    }

    private func cancelRefusals(_ db: QueueDatabase) async throws {
        let handle = db.makeRunner()
        handle.runner.register(kind: "send") { _ in .done }
        db.start(handle)
        let id = try await db.enqueue(NewJob(kind: "send"))
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        try await db.stop(handle.runner)
        try await db.app.withConnection { connection in
            await #expect(throws: JobAdministration.Failure.notAllowed(id: id, state: "succeeded")) {
                try await JobAdministration.cancel(id, on: connection)
            }
            await #expect(throws: JobAdministration.Failure.notFound(987_654)) {
                try await JobAdministration.cancel(987_654, on: connection)
            }
        }
        #expect(try await db.state(of: id) == "succeeded")
    }

    @Test("cancel respects the tenant: another tenant's job is not found and stays as it is")
    func cancelRespectsTenant() async throws {
        try await withQueue { try await cancelRespectsTenant($0) }
    }

    private func cancelRespectsTenant(_ db: QueueDatabase) async throws {
        let mine = UUID()
        let theirs = UUID()
        let id = try await db.enqueue(NewJob(kind: "send", tenant: theirs))
        _ = try await db.app.withConnection { connection in
            await #expect(throws: JobAdministration.Failure.notFound(id)) {
                try await JobAdministration.cancel(id, tenant: mine, on: connection)
            }
        }
        #expect(try await db.state(of: id) == "available")
        try await db.app.withConnection { try await JobAdministration.cancel(id, tenant: theirs, on: $0) }
        #expect(try await db.state(of: id) == "cancelled")
    }

    @Test("a cancelled job frees its unique key")
    func cancelledJobFreesItsKey() async throws {
        try await withQueue { try await cancelledJobFreesItsKey($0) }
    }

    private func cancelledJobFreesItsKey(_ db: QueueDatabase) async throws {
        let first = try await db.enqueue(NewJob(kind: "send", uniqueKey: "k"))
        try await db.app.withConnection { try await JobAdministration.cancel(first, on: $0) }
        let second = try await db.app.withConnection { try await JobQueue.enqueue(NewJob(kind: "send", uniqueKey: "k"), on: $0) }
        #expect(second.inserted)
        #expect(second.id != first)
    }
}
