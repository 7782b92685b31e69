import Foundation
import JobQueue
import Postgres
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

/// The SLA job kinds under real runners: `sla.sync` enqueued by the case's change opens the
/// deadline and schedules its timer; `sla.timer` takes due steps and snoozes until the next;
/// two runners over many due deadlines take every step exactly once.
@Suite("SLA timers under job runners")
struct TimerRunnerTests {
    /// The deadline's timer job: state and run_at.
    static func timer(_ world: JobsWorld, _ deadlineID: UUID) async throws -> (state: String, runAt: Date)? {
        try await world.owner.query("""
            SELECT state::text, run_at FROM job_queue.jobs WHERE unique_key = \("sla.timer:\(deadlineID.uuidString.lowercased())")
            ORDER BY id DESC LIMIT 1
            """).decode((String, Date).self).first.map { ($0.0, $0.1) }
    }

    @Test("a filed case's sync job opens its deadline and schedules the timer at warn_at; a due warning is taken and the timer snoozes until due_at",
          .timeLimit(.minutes(2)))
    func syncThenSnooze() async throws {
        try await JobsWorld.run { try await Self.syncThenSnooze($0) }
    }

    static func syncThenSnooze(_ world: JobsWorld) async throws {
        let receipt = try await world.file(61)
        try await RunningJobs.with(world) { _ in
            #expect(try await waitUntil(.seconds(20)) { try await !world.openDeadlines(receipt.caseID).isEmpty },
                    "the runner's sla.sync did not open the deadline")
            let deadline = try #require(try await world.openDeadlines(receipt.caseID).first)
            let scheduled = try await timer(world, deadline.id)
            #expect(scheduled?.state == "scheduled" && scheduled.map { sameInstant($0.runAt, deadline.schedule.warnAt) } == true,
                    "\(String(describing: scheduled))")
            try await world.owner.execute("UPDATE sla_deadlines SET warn_at = now() - interval '1 minute' WHERE id = \(deadline.id)")
            try await world.enqueueTimersNow()
            #expect(try await waitUntil(.seconds(20)) {
                try await world.count("SELECT count(*) FROM sla_deadlines WHERE id = \(deadline.id) AND warned_at IS NOT NULL") == 1
            })
            let snoozed = try await waitUntil(.seconds(10)) {
                guard let snoozed = try await timer(world, deadline.id) else { return false }
                return snoozed.state == "scheduled" && sameInstant(snoozed.runAt, deadline.schedule.dueAt)
            }
            let last = try await timer(world, deadline.id)
            #expect(snoozed, "the timer should wait for due_at \(deadline.schedule.dueAt): \(String(describing: last))")
        }
        #expect(try await world.events(receipt.caseID, "sla_warning") == 1)
        #expect(try await world.events(receipt.caseID, "sla_overdue") == 0)
    }

    @Test("two runners over 50 deadlines all due: each deadline gets one notice per step, one escalation, one event per step",
          .timeLimit(.minutes(3)))
    func twoRunners() async throws {
        try await JobsWorld.run(connections: 10) { try await Self.twoRunners($0) }
    }

    static let cases = 50

    static func twoRunners(_ world: JobsWorld) async throws {
        try await fileAndSync(world, count: cases)
        try await world.owner.execute("""
            UPDATE sla_deadlines SET warn_at = now() - interval '3 minutes', due_at = now() - interval '2 minutes',
                                     escalate_at = now() - interval '1 minute'
            WHERE ended_at IS NULL
            """)
        let first = RunningJobs.start(world)
        let second = RunningJobs.start(world)
        try await world.enqueueTimersNow()
        let finished = try await waitUntil(.seconds(60)) {
            try await world.count("SELECT count(*) FROM sla_deadlines WHERE escalated_at IS NOT NULL") == cases
        }
        try await first.stop()
        try await second.stop()
        let escalated = try await world.count("SELECT count(*) FROM sla_deadlines WHERE escalated_at IS NOT NULL")
        #expect(finished, "escalated: \(escalated) of \(cases)")
        try await expectEachStepOnce(world, deadlines: cases)
        // Both runners took part.
        let workers = try await world.count("""
            SELECT count(*) FROM job_queue.runners WHERE succeeded > 0
            """)
        #expect(workers == 2, "runners that ran jobs: \(workers)")
    }

    /// Files `count` cases and syncs their deadlines, 8 at a time.
    static func fileAndSync(_ world: JobsWorld, count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                if n >= 8 { try await group.next() }
                group.addTask {
                    let receipt = try await world.file(100 + n)
                    try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await world.count("SELECT count(*) FROM sla_deadlines WHERE ended_at IS NULL") == count)
    }

    /// Every deadline: three markers, one notice per step, one escalation, one event per step.
    static func expectEachStepOnce(_ world: JobsWorld, deadlines: Int) async throws {
        let wrong = try await world.owner.query(SLAChecks.exactlyOnceViolations).column(String.self)
        #expect(wrong.isEmpty, "deadlines with a step missing or repeated (\(wrong.count)): \(wrong.prefix(5))")
        #expect(try await world.count("SELECT count(*) FROM staff_notices") == 3 * deadlines)
        #expect(try await world.count("SELECT count(*) FROM escalations") == deadlines)
        #expect(try await world.count("SELECT count(*) FROM case_events WHERE action LIKE 'sla\\_%'") == 3 * deadlines)
    }
}
