import Foundation
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

/// A deadline's three steps — warning (预警), due (到期), escalation (督办) — each taken
/// exactly once: one staff notice per step to whoever answers for the stage, one escalation
/// for the joint office, one event per step on the case's timeline; repeated and concurrent
/// timer runs add nothing.
@Suite("SLA steps, each exactly once")
struct DeadlineStepsTests {
    struct Notice: Equatable, CustomStringConvertible {
        let step: String
        let role: String
        let department: UUID?
        var description: String { "\(step)→\(role)\(department.map { "@\($0.uuidString.prefix(8))" } ?? "")" }
    }

    static func notices(_ world: JobsWorld, _ deadlineID: UUID) async throws -> [Notice] {
        try await world.owner.query("""
            SELECT step::text, recipient_role::text, recipient_department_id FROM staff_notices
            WHERE deadline_id = \(deadlineID) ORDER BY id
            """).decode((String, String, UUID?).self).map { Notice(step: $0.0, role: $0.1, department: $0.2) }
    }

    /// (notices, escalations, sla events) of the deadline.
    static func effects(_ world: JobsWorld, _ deadlineID: UUID) async throws -> [Int] {
        [try await world.count("SELECT count(*) FROM staff_notices WHERE deadline_id = \(deadlineID)"),
         try await world.count("SELECT count(*) FROM escalations WHERE deadline_id = \(deadlineID)"),
         try await world.count("""
            SELECT count(*) FROM case_events WHERE detail ->> 'deadline' = \(deadlineID.uuidString.lowercased())
            """)]
    }

    static func slaEvents(_ world: JobsWorld, _ caseID: UUID) async throws -> [String] {
        try await world.owner.query("""
            SELECT action FROM case_events WHERE case_id = \(caseID) AND action LIKE 'sla\\_%' ORDER BY id
            """).column(String.self)
    }

    /// `count` fire() calls at once; answers the steps each took.
    static func fireConcurrently(_ world: JobsWorld, _ deadlineID: UUID, count: Int = 8) async throws -> [[SLAStep]] {
        try await withThrowingTaskGroup(of: [SLAStep].self) { group in
            for _ in 0..<count {
                group.addTask { try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID).steps }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// A filed case's acceptance deadline, synced.
    static func acceptanceDeadline(_ world: JobsWorld, _ n: Int) async throws -> (caseID: UUID, deadline: UUID) {
        let receipt = try await world.file(n)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let deadline = try #require(try await world.openDeadlines(receipt.caseID).first)
        return (receipt.caseID, deadline.id)
    }

    @Test("acceptance: warning and due to the center's manager, escalation to the joint office, in order; fired again — also 8 at once — nothing more")
    func acceptanceStepsOnce() async throws {
        try await JobsWorld.run { try await Self.acceptanceStepsOnce($0) }
    }

    static func acceptanceStepsOnce(_ world: JobsWorld) async throws {
        let (caseID, deadlineID) = try await acceptanceDeadline(world, 51)
        try await world.moveIntoPast(deadlineID)
        let fired = try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID)
        #expect(fired.steps == [.warning, .due, .escalation] && fired.next == nil, "\(fired)")
        let notified = try await notices(world, deadlineID)
        #expect(notified == [
            Notice(step: "warning", role: "center_manager", department: nil),
            Notice(step: "due", role: "center_manager", department: nil),
            Notice(step: "escalation", role: "joint_office", department: nil),
        ])
        #expect(try await slaEvents(world, caseID) == ["sla_warning", "sla_overdue", "sla_escalated"])
        #expect(try await effects(world, deadlineID) == [3, 1, 3])
        let markers = try await world.count("""
            SELECT count(*) FROM sla_deadlines WHERE id = \(deadlineID)
              AND warned_at IS NOT NULL AND due_notified_at IS NOT NULL AND escalated_at IS NOT NULL
            """)
        #expect(markers == 1)
        let again = try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID)
        #expect(again.steps.isEmpty && again.next == nil)
        #expect(try await fireConcurrently(world, deadlineID).allSatisfy(\.isEmpty))
        #expect(try await effects(world, deadlineID) == [3, 1, 3])
    }

    @Test("8 timer runs at once on a deadline whose steps are all due: one takes the three steps, the others nothing")
    func concurrentFirstFire() async throws {
        try await JobsWorld.run { try await Self.concurrentFirstFire($0) }
    }

    static func concurrentFirstFire(_ world: JobsWorld) async throws {
        for n in 52...54 {
            let (_, deadlineID) = try await acceptanceDeadline(world, n)
            try await world.moveIntoPast(deadlineID)
            let runs = try await fireConcurrently(world, deadlineID)
            #expect(runs.filter { !$0.isEmpty } == [[.warning, .due, .escalation]], "\(runs)")
            #expect(try await effects(world, deadlineID) == [3, 1, 3])
        }
    }

    @Test("steps come one at a time as their times pass; each run answers when the next is due")
    func stepByStep() async throws {
        try await JobsWorld.run { try await Self.stepByStep($0) }
    }

    static func stepByStep(_ world: JobsWorld) async throws {
        let (caseID, deadlineID) = try await acceptanceDeadline(world, 55)
        let original = try #require(try await world.openDeadlines(caseID).first)
        let early = try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID)
        #expect(early.steps.isEmpty && early.next.map { sameInstant($0, original.schedule.warnAt) } == true, "\(early)")
        try await world.owner.execute("UPDATE sla_deadlines SET warn_at = now() - interval '1 minute' WHERE id = \(deadlineID)")
        let warned = try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID)
        #expect(warned.steps == [.warning] && warned.next.map { sameInstant($0, original.schedule.dueAt) } == true, "\(warned)")
        try await world.owner.execute("UPDATE sla_deadlines SET due_at = now() - interval '30 seconds' WHERE id = \(deadlineID)")
        let due = try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID)
        #expect(due.steps == [.due] && due.next.map { sameInstant($0, original.schedule.escalateAt) } == true, "\(due)")
        #expect(try await slaEvents(world, caseID) == ["sla_warning", "sla_overdue"])
        #expect(try await effects(world, deadlineID) == [2, 0, 2])
    }

    @Test("signing and handling: warning and due to the department's manager; when the stage ends the escalation is resolved")
    func departmentStages() async throws {
        try await JobsWorld.run { try await Self.departmentStages($0) }
    }

    static func departmentStages(_ world: JobsWorld) async throws {
        let receipt = try await world.file(56)
        try await world.dispatch(receipt.caseID, to: [world.civilID])
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let signing = try #require(try await world.openDeadlines(receipt.caseID).first)
        try await expectDepartmentSteps(world, signing.id)
        #expect(try await resolved(world, signing.id) == false)

        let civil = try await world.staff("civil.agent", department: world.civilID, roles: [.departmentAgent])
        try await world.workflow.signFor(civil, assignmentID: try await world.assignment(receipt.caseID, world.civilID),
                                         applicantNotice: "请携带身份证到民政局窗口办理。")
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        #expect(try await resolved(world, signing.id) == true, "the signing stage is done: its escalation is resolved")
        let handling = try #require(try await world.openDeadlines(receipt.caseID).first)
        #expect(handling.stage == "handling")
        try await expectDepartmentSteps(world, handling.id)
        #expect(try await world.levels.fire(countyID: world.countyID, deadlineID: signing.id).steps.isEmpty, "an ended deadline takes no step")
    }

    static func expectDepartmentSteps(_ world: JobsWorld, _ deadlineID: UUID) async throws {
        try await world.moveIntoPast(deadlineID)
        #expect(try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID).steps == [.warning, .due, .escalation])
        let notified = try await notices(world, deadlineID)
        #expect(notified == [
            Notice(step: "warning", role: "department_manager", department: world.civilID),
            Notice(step: "due", role: "department_manager", department: world.civilID),
            Notice(step: "escalation", role: "joint_office", department: nil),
        ])
        let escalated = try await world.owner.query("""
            SELECT stage::text, department_id FROM escalations WHERE deadline_id = \(deadlineID)
            """).decode((String, UUID?).self)
        #expect(escalated.count == 1 && escalated.first?.1 == world.civilID, "\(escalated)")
        #expect(try await fireConcurrently(world, deadlineID).allSatisfy(\.isEmpty))
        #expect(try await effects(world, deadlineID) == [3, 1, 3])
    }

    static func resolved(_ world: JobsWorld, _ deadlineID: UUID) async throws -> Bool? {
        try await world.owner.query("SELECT resolved_at IS NOT NULL FROM escalations WHERE deadline_id = \(deadlineID)").scalar(Bool.self)
    }

    @Test("joint review (联席会议研究): every step goes to the joint office")
    func jointReviewSteps() async throws {
        try await JobsWorld.run { try await Self.jointReviewSteps($0) }
    }

    static func jointReviewSteps(_ world: JobsWorld) async throws {
        let receipt = try await world.file(58)
        try await world.workflow.refer(world.manager, caseID: receipt.caseID, reason: .severalDepartments, note: nil)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let deadline = try #require(try await world.openDeadlines(receipt.caseID).first)
        #expect(deadline.stage == "joint_review")
        try await world.moveIntoPast(deadline.id)
        #expect(try await world.levels.fire(countyID: world.countyID, deadlineID: deadline.id).steps == [.warning, .due, .escalation])
        let notified = try await notices(world, deadline.id)
        #expect(notified.map(\.role) == ["joint_office", "joint_office", "joint_office"], "\(notified)")
        #expect(try await effects(world, deadline.id) == [3, 1, 3])
    }

    @Test("a deadline whose stage ended before its times came takes no step")
    func endedDeadlineIsQuiet() async throws {
        try await JobsWorld.run { try await Self.endedDeadlineIsQuiet($0) }
    }

    static func endedDeadlineIsQuiet(_ world: JobsWorld) async throws {
        let (caseID, deadlineID) = try await acceptanceDeadline(world, 57)
        try await world.moveIntoPast(deadlineID)
        try await world.reject(caseID)
        try await world.levels.sync(countyID: world.countyID, caseID: caseID)
        let fired = try await world.levels.fire(countyID: world.countyID, deadlineID: deadlineID)
        #expect(fired.steps.isEmpty && fired.next == nil)
        #expect(try await effects(world, deadlineID) == [0, 0, 0])
    }
}
