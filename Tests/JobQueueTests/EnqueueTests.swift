import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Enqueuing in the caller's transaction")
struct EnqueueTests {
    @Test("a job enqueued in a transaction that commits runs")
    func committedEnqueueRuns() async throws {
        try await withQueue { try await committedEnqueueRuns($0) }
    }

    private func committedEnqueueRuns(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.registerRecording("send", in: log)
        db.start(handle)
        let id = try await enqueueInTransaction(db, commit: true)
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        #expect(log.count(of: id) == 1)
        try await db.stop(handle.runner)
    }

    @Test("a job enqueued in a transaction that rolls back never runs")
    func rolledBackEnqueueNeverRuns() async throws {
        try await withQueue { try await rolledBackEnqueueNeverRuns($0) }
    }

    private func rolledBackEnqueueNeverRuns(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .milliseconds(200)))
        handle.runner.registerRecording("send", in: log)
        db.start(handle)
        let id = try await enqueueInTransaction(db, commit: false)
        #expect(try await db.countJobs() == 0)
        // A job committed afterwards runs: by then the rolled-back one would have too.
        let later = try await db.enqueue(NewJob(kind: "send", payloadJSON: #"{"n":2}"#))
        #expect(try await db.waitFor(later, toBe: "succeeded"))
        try await Task.sleep(for: .milliseconds(500))
        #expect(log.all.map(\.id) == [later])
        #expect(log.count(of: id) == 0)
        #expect(try await db.countJobs() == 1)
        try await db.stop(handle.runner)
    }

    /// Enqueues a job together with another change in one transaction; rolls it back by
    /// throwing when `commit` is false. Returns the id the enqueue answered.
    private func enqueueInTransaction(_ db: QueueDatabase, commit: Bool) async throws -> Int64 {
        let id = Locked<Int64>(0)
        do {
            try await db.app.transaction { connection in
                let enqueued = try await JobQueue.enqueue(NewJob(kind: "send", payloadJSON: #"{"n":1}"#), on: connection)
                #expect(enqueued.inserted)
                id.withLock { $0 = enqueued.id }
                if !commit { throw HandlerError("roll back") }
            }
        } catch let error as HandlerError where !commit {
            #expect(error.message == "roll back")
        }
        return id.value
    }

    @Test("a batch enqueue answers the ids in the order of the jobs, and every job runs once")
    func batchEnqueue() async throws {
        try await withQueue { try await batchEnqueue($0) }
    }

    private func batchEnqueue(_ db: QueueDatabase) async throws {
        let tenant = UUID()
        let jobs = (0..<25).map { index in
            NewJob(kind: index.isMultiple(of: 2) ? "even" : "odd", payloadJSON: #"{"index":\#(index)}"#,
                   priority: Int16(index % 10), tenant: index == 3 ? tenant : nil)
        }
        let ids = try await db.enqueue(batch: jobs)
        #expect(ids.count == 25)
        #expect(Set(ids).count == 25)
        try await expectRowsMatch(db, ids: ids, jobs: jobs)
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.registerRecording("even", in: log)
        handle.runner.registerRecording("odd", in: log)
        db.start(handle)
        #expect(try await db.waitForJobs(25, where: "state = 'succeeded'"))
        #expect(log.perJob == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
        try await db.stop(handle.runner)
    }

    /// Row `ids[i]` holds `jobs[i]`: its kind, payload, priority and tenant.
    private func expectRowsMatch(_ db: QueueDatabase, ids: [Int64], jobs: [NewJob]) async throws {
        for (id, job) in zip(ids, jobs) {
            let row = try await db.admin.query("""
                SELECT kind, payload::text, priority::int8, tenant, state::text FROM job_queue.jobs WHERE id = \(id)
                """).decode((String, String, Int, UUID?, String).self).first
            #expect(row?.0 == job.kind)
            #expect(row?.1 == job.payload.replacingOccurrences(of: ":", with: ": "))
            #expect(row?.2 == Int(job.priority))
            #expect(row?.3 == job.tenant)
            #expect(row?.4 == "available")
        }
    }

    @Test("an empty batch enqueues nothing")
    func emptyBatch() async throws {
        try await withQueue { try await emptyBatch($0) }
    }

    private func emptyBatch(_ db: QueueDatabase) async throws {
        #expect(try await db.enqueue(batch: []) == [])
        #expect(try await db.countJobs() == 0)
    }

    @Test("a job with a time in the future is scheduled; one without is available")
    func enqueuedStates() async throws {
        try await withQueue { try await enqueuedStates($0) }
    }

    private func enqueuedStates(_ db: QueueDatabase) async throws {
        let later = try await db.enqueue(NewJob(kind: "k", runAt: Date().addingTimeInterval(3600)))
        let now = try await db.enqueue(NewJob(kind: "k"))
        let past = try await db.enqueue(NewJob(kind: "k", runAt: Date().addingTimeInterval(-3600)))
        let batch = try await db.enqueue(batch: [NewJob(kind: "k", runAt: Date().addingTimeInterval(3600)), NewJob(kind: "k")])
        #expect(try await db.state(of: later) == "scheduled")
        #expect(try await db.state(of: now) == "available")
        #expect(try await db.state(of: past) == "available")
        #expect(try await db.state(of: batch[0]) == "scheduled")
        #expect(try await db.state(of: batch[1]) == "available")
    }

    @Test("a payload encoded from a value reaches the handler and decodes back")
    func typedPayload() async throws {
        try await withQueue { try await typedPayload($0) }
    }

    struct Reminder: Codable, Equatable {
        let caseID: UUID
        let due: Date
        let note: String
    }

    private func typedPayload(_ db: QueueDatabase) async throws {
        let sent = Reminder(caseID: UUID(), due: Date(timeIntervalSince1970: 1_800_000_000), note: "第二次提醒")
        let received = Locked<Reminder?>(nil)
        let handle = db.makeRunner()
        handle.runner.register(kind: "remind") { job in
            let reminder = try job.decode(Reminder.self)
            received.withLock { $0 = reminder }
            return .done
        }
        db.start(handle)
        let id = try await db.enqueue(try NewJob(kind: "remind", payload: sent))
        #expect(try await db.waitFor(id, toBe: "succeeded"))
        #expect(received.value == sent)
        try await db.stop(handle.runner)
    }
}
