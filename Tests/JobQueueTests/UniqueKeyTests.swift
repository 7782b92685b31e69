import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Unique keys")
struct UniqueKeyTests {
    @Test("20 enqueues with one unique key, in 20 transactions at once, make one job and all answer its id")
    func concurrentEnqueuesMakeOneJob() async throws {
        try await withQueue { try await concurrentEnqueuesMakeOneJob($0) }
    }

    private func concurrentEnqueuesMakeOneJob(_ db: QueueDatabase) async throws {
        var connections: [PostgresConnection] = []
        for _ in 0..<20 { connections.append(try await PostgresConnection.connect(db.appConfiguration)) }
        let answers: [Enqueued]
        do {
            answers = try await enqueueTogether(on: connections)
            for connection in connections { await connection.close() }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        #expect(answers.count == 20)
        #expect(Set(answers.map(\.id)).count == 1)
        #expect(answers.filter(\.inserted).count == 1)
        #expect(try await db.countJobs() == 1)
        #expect(try await db.countJobs(where: "unique_key = 'case:42' AND state = 'available'") == 1)
    }

    /// Each connection opens a transaction; once all are open they enqueue together and hold
    /// their transaction a moment before committing, so the inserts overlap.
    private func enqueueTogether(on connections: [PostgresConnection]) async throws -> [Enqueued] {
        let gate = Gate()
        let ready = Locked(0)
        return try await withThrowingTaskGroup(of: Enqueued.self) { group in
            for connection in connections {
                group.addTask { try await enqueueAfter(gate, ready: ready, on: connection) }
            }
            _ = await eventually(within: .seconds(20)) { ready.value == connections.count }
            gate.open()
            var answers: [Enqueued] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
    }

    private func enqueueAfter(_ gate: Gate, ready: Locked<Int>, on connection: PostgresConnection) async throws -> Enqueued {
        try await connection.transaction { connection in
            ready.withLock { $0 += 1 }
            await gate.wait()
            let enqueued = try await JobQueue.enqueue(NewJob(kind: "sync", uniqueKey: "case:42"), on: connection)
            try await Task.sleep(for: .milliseconds(100))
            return enqueued
        }
    }

    @Test("once the job with a key has finished, the key can be enqueued again")
    func finishedJobFreesItsKey() async throws {
        try await withQueue { try await finishedJobFreesItsKey($0) }
    }

    private func finishedJobFreesItsKey(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.registerRecording("sync", in: log)
        db.start(handle)
        let first = try await enqueue(db, NewJob(kind: "sync", uniqueKey: "case:7"))
        #expect(first.inserted)
        #expect(try await db.waitFor(first.id, toBe: "succeeded"))
        let second = try await enqueue(db, NewJob(kind: "sync", uniqueKey: "case:7"))
        #expect(second.inserted)
        #expect(second.id != first.id)
        #expect(try await db.waitFor(second.id, toBe: "succeeded"))
        #expect(log.all.map(\.id) == [first.id, second.id])
        try await db.stop(handle.runner)
    }

    @Test("an enqueue that meets an open job with its key leaves that job as it is")
    func keepExistingLeavesTheOpenJob() async throws {
        try await withQueue { try await keepExistingLeavesTheOpenJob($0) }
    }

    private func keepExistingLeavesTheOpenJob(_ db: QueueDatabase) async throws {
        let later = Date().addingTimeInterval(3600)
        let first = try await enqueue(db, NewJob(kind: "sync", payloadJSON: #"{"v":1}"#, priority: 7, runAt: later, uniqueKey: "k"))
        let second = try await enqueue(db, NewJob(kind: "sync", payloadJSON: #"{"v":2}"#, priority: 1, uniqueKey: "k"))
        #expect(second.id == first.id && !second.inserted)
        let row = try await db.admin.query("""
            SELECT state::text, payload::text, priority::int8, extract(epoch FROM run_at - now())::float8
            FROM job_queue.jobs WHERE id = \(first.id)
            """).decode((String, String, Int, Double).self).first
        #expect(row?.0 == "scheduled")
        #expect(row?.1 == #"{"v": 1}"#)
        #expect(row?.2 == 7)
        #expect((row?.3 ?? 0) > 3500)
        #expect(try await db.countJobs() == 1)
    }

    @Test("runNoLaterThan brings a scheduled job forward and it runs at once")
    func runNoLaterThanBringsForward() async throws {
        try await withQueue { try await runNoLaterThanBringsForward($0) }
    }

    private func runNoLaterThanBringsForward(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handle = db.makeRunner(.test(pollInterval: .seconds(30)))
        handle.runner.registerRecording("sync", in: log)
        db.start(handle)
        let first = try await enqueue(db, NewJob(kind: "sync", runAt: Date().addingTimeInterval(3600), uniqueKey: "k"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await db.state(of: first.id) == "scheduled")
        let again = try await enqueue(db, NewJob(kind: "sync", uniqueKey: "k", onDuplicate: .runNoLaterThan))
        #expect(again.id == first.id && !again.inserted)
        #expect(try await db.waitFor(first.id, toBe: "succeeded", within: .seconds(15)))
        #expect(log.count(of: first.id) == 1)
        #expect(try await db.countJobs() == 1)
        try await db.stop(handle.runner)
    }

    @Test("runNoLaterThan with a later time does not put off the open job")
    func runNoLaterThanNeverPostpones() async throws {
        try await withQueue { try await runNoLaterThanNeverPostpones($0) }
    }

    private func runNoLaterThanNeverPostpones(_ db: QueueDatabase) async throws {
        let soon = Date().addingTimeInterval(600)
        let first = try await enqueue(db, NewJob(kind: "sync", runAt: soon, uniqueKey: "k"))
        let again = try await enqueue(db, NewJob(kind: "sync", runAt: soon.addingTimeInterval(3000), uniqueKey: "k",
                                                 onDuplicate: .runNoLaterThan))
        #expect(again.id == first.id)
        let runAt = try await db.admin.query("SELECT run_at FROM job_queue.jobs WHERE id = \(first.id)").scalar(Date.self)
        #expect(abs((runAt ?? .distantPast).timeIntervalSince(soon)) < 0.001)
        #expect(try await db.state(of: first.id) == "scheduled")
    }

    @Test("runNoLaterThan while the job runs marks it to run once more, and it does after this run")
    func runNoLaterThanWhileRunningReruns() async throws {
        try await withQueue { try await runNoLaterThanWhileRunningReruns($0) }
    }

    private func runNoLaterThanWhileRunningReruns(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let gate = Gate()
        let handle = db.makeRunner()
        handle.runner.register(kind: "sync") { job in
            log.record(job)
            await gate.wait()
            return .done
        }
        db.start(handle)
        let first = try await enqueue(db, NewJob(kind: "sync", uniqueKey: "k"))
        #expect(await eventually { log.count == 1 })
        let again = try await enqueue(db, NewJob(kind: "sync", uniqueKey: "k", onDuplicate: .runNoLaterThan))
        #expect(again.id == first.id && !again.inserted)
        #expect(try await db.countJobs(where: "rerun AND state = 'running'") == 1)
        gate.open()
        #expect(await log.wait(for: 2))
        #expect(try await db.waitFor(first.id, toBe: "succeeded"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(log.runs(of: first.id).map(\.attempt) == [1, 1])
        #expect(try await db.countJobs(where: "rerun") == 0)
        #expect(try await db.countJobs() == 1)
        try await db.stop(handle.runner)
    }

    /// A regression guard: before its fix, `ON CONFLICT ... DO UPDATE SET unique_key =
    /// excluded.unique_key` writes the open job's row only to get its id back, so the caller's
    /// transaction holds that row's lock until it ends. When the job is running, its runner's
    /// completion and its heartbeat statement (one UPDATE for all the runner's jobs) wait for
    /// that lock: the finished job stays `running`, and the maintenance loop (heartbeats,
    /// rescue, leader lease) stands still for as long as the caller's transaction lasts.
    @Test("an open transaction that met a running job's unique key does not hold up its runner")
    func duplicateEnqueueDoesNotBlockTheRunner() async throws {
        try await withQueue { try await duplicateEnqueueDoesNotBlockTheRunner($0) }
    }

    private func duplicateEnqueueDoesNotBlockTheRunner(_ db: QueueDatabase) async throws {
        let (gate, release, log) = (Gate(), Gate(), RunLog())
        let handle = db.makeRunner()
        handle.runner.register(kind: "sync") { job in log.record(job); await gate.wait(); return .done }
        db.start(handle)
        let first = try await db.enqueue(NewJob(kind: "sync", uniqueKey: "k"))
        #expect(await eventually { log.count == 1 })
        let caller = try await enqueueAndHoldTransaction(db, key: "k", until: release)
        gate.open()
        let finished = try await db.waitFor(first, toBe: "succeeded", within: .seconds(10))
        release.open()
        let answer = try await result(of: caller, within: .seconds(20)).get()
        #expect(finished, "the finished job stayed running while a caller's transaction was open")
        #expect(answer.id == first && !answer.inserted)
        #expect(try await db.waitFor(first, toBe: "succeeded"))
        try await db.stop(handle.runner)
    }

    /// A caller that enqueues `key` in a transaction and keeps it open until `release` opens.
    private func enqueueAndHoldTransaction(_ db: QueueDatabase, key: String, until release: Gate) async throws -> Task<Enqueued, Error> {
        let connection = try await PostgresConnection.connect(db.appConfiguration)
        let enqueued = Gate()
        let task = Task { try await Self.enqueue(key, on: connection, then: enqueued, holdUntil: release) }
        try #require(await eventually { enqueued.isOpen }, "the caller's enqueue did not return")
        return task
    }

    private static func enqueue(_ key: String, on connection: PostgresConnection, then enqueued: Gate, holdUntil release: Gate) async throws -> Enqueued {
        defer { Task { await connection.close() } }
        return try await connection.transaction { connection in
            let answer = try await JobQueue.enqueue(NewJob(kind: "sync", uniqueKey: key), on: connection)
            enqueued.open()
            await release.wait()
            return answer
        }
    }

    @Test("a batch with unique keys honours them and still answers the ids in order")
    func batchWithUniqueKeys() async throws {
        try await withQueue { try await batchWithUniqueKeys($0) }
    }

    private func batchWithUniqueKeys(_ db: QueueDatabase) async throws {
        let ids = try await db.enqueue(batch: [
            NewJob(kind: "a", uniqueKey: "x"), NewJob(kind: "b"), NewJob(kind: "c", uniqueKey: "x"), NewJob(kind: "d"),
        ])
        #expect(ids.count == 4)
        #expect(ids[0] == ids[2])
        #expect(Set(ids).count == 3)
        let kinds = try await db.admin.query("SELECT kind FROM job_queue.jobs ORDER BY id").column(String.self)
        #expect(kinds == ["a", "b", "d"])
    }

    private func enqueue(_ db: QueueDatabase, _ job: NewJob) async throws -> Enqueued {
        try await db.app.withConnection { try await JobQueue.enqueue(job, on: $0) }
    }
}
