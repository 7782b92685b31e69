import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Periodic jobs and the leader", .serialized)
struct PeriodicTests {
    private let tick = PeriodicJob(name: "tick", schedule: .every(.seconds(1)), job: NewJob(kind: "tick"))

    @Test("two runners with one periodic job enqueue each slot once, and one of them leads at a time")
    func periodicSlotsOnceWithTwoRunners() async throws {
        try await withQueue { try await periodicSlotsOnceWithTwoRunners($0) }
    }

    private func periodicSlotsOnceWithTwoRunners(_ db: QueueDatabase) async throws {
        let log = RunLog()
        let handles = (0..<2).map { _ in db.makeRunner() }
        for handle in handles {
            handle.runner.registerRecording("tick", in: log)
            handle.runner.schedule(tick)
            db.start(handle)
        }
        // Sampled until three slots have been enqueued (a loaded machine may take longer than
        // the 3 s they span), at most 30 s.
        let leaders = try await sampleLeaders(handles.map(\.runner), until: { try await Self.slotsEnqueued(db) >= 3 })
        #expect(leaders.allSatisfy { $0 <= 1 }, "two runners led at once: \(leaders.filter { $0 > 1 }.count) samples")
        #expect(leaders.contains(1), "no runner ever led")
        try await expectOneLease(db, held: handles.map(\.runner))
        for handle in handles { try await db.stop(handle.runner) }
        try await expectOneJobPerSlot(db, log: log)
    }

    /// Samples how many of `runners` believe they lead, every 50 ms, until `done` (at most 30 s).
    private func sampleLeaders(_ runners: [JobRunner], until done: () async throws -> Bool) async throws -> [Int] {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(30)
        var samples: [Int] = []
        while clock.now < end {
            samples.append(runners.filter(\.health.isLeader).count)
            if try await done() { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return samples
    }

    private static func slotsEnqueued(_ db: QueueDatabase) async throws -> Int {
        try await db.countJobs(where: "kind = 'tick'")
    }

    /// The leader lease is one row, held by the runner that believes it leads.
    private func expectOneLease(_ db: QueueDatabase, held runners: [JobRunner]) async throws {
        let holders = try await db.admin.query("SELECT holder FROM job_queue.leases WHERE name = 'leader'").column(UUID.self)
        #expect(holders.count == 1)
        let leaders = runners.filter(\.health.isLeader).map(\.id)
        #expect(leaders.count == 1)
        #expect(holders == leaders)
    }

    /// Every periodic job belongs to a slot of its own (its transaction's time, truncated to
    /// the second, is the slot), each ran once, and the last slot recorded is no older than the
    /// latest job's.
    private func expectOneJobPerSlot(_ db: QueueDatabase, log: RunLog) async throws {
        let perSlot = try await db.admin.query("""
            SELECT date_trunc('second', created_at), count(*) FROM job_queue.jobs WHERE kind = 'tick' GROUP BY 1 ORDER BY 1
            """).decode((Date, Int).self)
        #expect(perSlot.count >= 3, "expected three slots' ticks, got \(perSlot.count)")
        #expect(perSlot.allSatisfy { $0.1 == 1 }, "a slot was enqueued twice: \(perSlot)")
        // Each job that ran, ran once; only the last may have been enqueued too late to run.
        #expect(log.perJob.values.allSatisfy { $0 == 1 })
        #expect(try await db.countJobs(where: "kind = 'tick' AND state = 'succeeded'") == log.count)
        #expect(log.count >= perSlot.count - 1)
        let lastSlot = try await db.admin.query("SELECT last_slot FROM job_queue.periodic_slots WHERE name = 'tick'").scalar(Date.self)
        // A slot whose predecessor was still open is recorded without a second job (no pile-up).
        #expect(lastSlot.map { slot in perSlot.last.map { slot >= $0.0 } ?? false } == true, "\(String(describing: lastSlot)) \(perSlot)")
        #expect(try await db.countJobs(where: "kind = 'tick' AND unique_key = 'periodic:tick'") == perSlot.count)
    }

    @Test("when the leader stops, it releases the lease and the other runner takes over")
    func leadershipPassesOnShutdown() async throws {
        try await withQueue { try await leadershipPassesOnShutdown($0) }
    }

    private func leadershipPassesOnShutdown(_ db: QueueDatabase) async throws {
        let first = db.makeRunner()
        db.start(first)
        #expect(await eventually { first.runner.health.isLeader })
        let second = db.makeRunner()
        db.start(second)
        try await Task.sleep(for: .milliseconds(600))  // a few heartbeats: the lease is held
        #expect(!second.runner.health.isLeader)
        try await db.stop(first.runner)
        #expect(try await db.admin.query("SELECT count(*) FROM job_queue.leases WHERE holder = \(first.runner.id)").scalar(Int.self) == 0)
        // Well before the 10 s lease would have run out.
        #expect(await eventually(within: .seconds(8)) { second.runner.health.isLeader })
        let holder = try await db.admin.query("SELECT holder FROM job_queue.leases WHERE name = 'leader'").scalar(UUID.self)
        #expect(holder == second.runner.id)
        try await db.stop(second.runner)
    }

    @Test("a runner takes over a lease whose holder died once it expires")
    func expiredLeaseIsTakenOver() async throws {
        try await withQueue { try await expiredLeaseIsTakenOver($0) }
    }

    private func expiredLeaseIsTakenOver(_ db: QueueDatabase) async throws {
        let dead = UUID()
        try await db.admin.execute("INSERT INTO job_queue.leases (name, holder, expires_at) VALUES ('leader', \(dead), now() + interval '2 seconds')")
        let handle = db.makeRunner()
        db.start(handle)
        try await Task.sleep(for: .milliseconds(500))
        #expect(!handle.runner.health.isLeader, "took a lease that had not expired")
        #expect(await eventually(within: .seconds(15)) { handle.runner.health.isLeader })
        try await db.stop(handle.runner)
    }

    @Test("a periodic job is not enqueued for its first sight, only from its next slot on")
    func firstSightStartsTheSchedule() async throws {
        try await withQueue { try await firstSightStartsTheSchedule($0) }
    }

    private func firstSightStartsTheSchedule(_ db: QueueDatabase) async throws {
        let hourly = PeriodicJob(name: "hourly", schedule: .every(.seconds(3600)), job: NewJob(kind: "tick"))
        let handle = db.makeRunner()
        handle.runner.register(kind: "tick") { _ in .done }
        handle.runner.schedule(hourly)
        db.start(handle)
        let recorded = try await eventually {
            try await db.admin.query("SELECT count(*) FROM job_queue.periodic_slots WHERE name = 'hourly'").scalar(Int.self) == 1
        }
        #expect(recorded)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await db.countJobs() == 0)
        try await db.stop(handle.runner)
    }

    @Test("a periodic job still open when its next slot comes is not enqueued a second time")
    func openPeriodicJobIsNotDoubled() async throws {
        try await withQueue { try await openPeriodicJobIsNotDoubled($0) }
    }

    private func openPeriodicJobIsNotDoubled(_ db: QueueDatabase) async throws {
        let gate = Gate()
        let log = RunLog()
        let handle = db.makeRunner()
        handle.runner.register(kind: "tick") { job in
            log.record(job)
            await gate.wait()
            return .done
        }
        handle.runner.schedule(tick)
        db.start(handle)
        #expect(await eventually { log.count == 1 })
        try await Task.sleep(for: .milliseconds(2500))  // two or more slots pass while it runs
        #expect(try await db.countJobs() == 1)
        gate.open()
        try await db.stop(handle.runner)
        #expect(log.perJob.values.allSatisfy { $0 == 1 })
    }
}
