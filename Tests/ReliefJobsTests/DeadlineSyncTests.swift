import Foundation
import Postgres
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

/// Deadlines follow the case (SLA, DESIGN.md): `sync` opens one for every stage the case is
/// in — acceptance, signing per assignment, handling with the item's limit, the summary — at
/// the times `SLASchedule` gives on the county's calendar and policies, and ends those it has
/// left. `sync` is called directly here (the runner's `sla.sync` job does the same).
@Suite("SLA deadlines follow the case")
struct DeadlineSyncTests {
    static func expectSchedule(_ deadline: JobsWorld.StoredDeadline, start: Date, policy: SLAPolicy, green: Bool = false,
                               itemLimit: Int, extensionDays: Int = 0, calendar: WorkingCalendar,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = SLASchedule(start: start, policy: policy, green: green, itemLimitWorkingDays: itemLimit,
                                   extensionWorkingDays: extensionDays, calendar: calendar)
        #expect(sameInstant(deadline.startedAt, start), "started \(deadline.startedAt), expected \(start)", sourceLocation: sourceLocation)
        #expect(sameInstant(deadline.schedule.warnAt, expected.warnAt) && sameInstant(deadline.schedule.dueAt, expected.dueAt)
                    && sameInstant(deadline.schedule.escalateAt, expected.escalateAt),
                "\(deadline.stage): stored \(deadline.schedule), expected \(expected)", sourceLocation: sourceLocation)
    }

    /// The due dates staff and applicants read are the open deadlines': each assignment's its
    /// own, the case's the latest.
    static func expectDueDatesFollowDeadlines(_ world: JobsWorld, _ caseID: UUID, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let open = try await world.openDeadlines(caseID)
        guard let latest = open.map(\.schedule.dueAt).max() else { return }
        let caseDue = try await world.owner.query("SELECT due_at FROM cases WHERE id = \(caseID)").scalar(Date.self)
        #expect(caseDue.map { sameInstant($0, latest) } == true, "case due \(String(describing: caseDue)), latest deadline \(latest)",
                sourceLocation: sourceLocation)
        for deadline in open {
            guard let assignment = deadline.assignmentID else { continue }
            let due = try await world.owner.query("SELECT due_at FROM case_assignments WHERE id = \(assignment)").scalar(Date.self)
            #expect(due.map { sameInstant($0, deadline.schedule.dueAt) } == true,
                    "\(deadline.stage) assignment due \(String(describing: due)), deadline \(deadline.schedule.dueAt)", sourceLocation: sourceLocation)
        }
    }

    static func createdAt(_ world: JobsWorld, _ caseID: UUID) async throws -> Date {
        try #require(try await world.owner.query("SELECT created_at FROM cases WHERE id = \(caseID)").scalar(Date.self))
    }

    /// The first weekday after today (Shanghai), made a holiday in the county's calendar.
    static func addHoliday(_ world: JobsWorld) async throws -> CivilDay {
        var day = CivilDay(Date()).adding(days: 1)
        while day.isWeekend { day = day.adding(days: 1) }
        _ = try await Calendars(store: world.store).replaceYear(
            world.manager, year: day.year, days: [.init(day: day, kind: .holiday, name: "测试假日")])
        return day
    }

    @Test("a new case gets one open acceptance deadline at the standard policy's times on the county's calendar, holiday skipped")
    func acceptanceOnTheCountyCalendar() async throws {
        try await JobsWorld.run { try await Self.acceptanceOnTheCountyCalendar($0) }
    }

    static func acceptanceOnTheCountyCalendar(_ world: JobsWorld) async throws {
        let holiday = try await addHoliday(world)
        let calendar = WorkingCalendar(holidays: [holiday])
        #expect(try await world.calendar() == calendar)
        let receipt = try await world.file(31)
        #expect(try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID) == 1)
        let deadlines = try await world.deadlines(receipt.caseID)
        #expect(deadlines.count == 1)
        let deadline = try #require(deadlines.first)
        #expect(deadline.stage == "acceptance" && deadline.assignmentID == nil && !deadline.green && deadline.endedAt == nil)
        let start = try await createdAt(world, receipt.caseID)
        let limit = try await world.dibaoLimit()
        expectSchedule(deadline, start: start, policy: .standard(.acceptance), itemLimit: limit, calendar: calendar)
        // The holiday counts: without it the deadline would fall a working day earlier.
        let plain = SLASchedule(start: start, policy: .standard(.acceptance), green: false, itemLimitWorkingDays: limit, calendar: WorkingCalendar())
        #expect(plain.dueAt < deadline.schedule.dueAt)
        try await expectDueDatesFollowDeadlines(world, receipt.caseID)
        // A second sync finds nothing to do.
        #expect(try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID) == 0)
        #expect(try await world.deadlines(receipt.caseID).count == 1)
    }

    @Test("issue 6 §3: a year's holidays imported after a deadline was counted move it: counted again in the same office time, the case's due date with it, once")
    func calendarImportRecounts() async throws {
        try await JobsWorld.run { try await Self.calendarImportRecounts($0) }
    }

    static func calendarImportRecounts(_ world: JobsWorld) async throws {
        let receipt = try await world.file(32)
        #expect(try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID) == 1)
        let before = try #require(try await world.openDeadlines(receipt.caseID).first)
        // Its due day is declared a holiday, with the year's other special days kept.
        let holiday = CivilDay(before.schedule.dueAt)
        let calendars = Calendars(store: world.store)
        let kept = try await calendars.days(world.manager, year: holiday.year)
        _ = try await calendars.replaceYear(world.manager, year: holiday.year,
                                            days: kept + [.init(day: holiday, kind: .holiday, name: "补发假日")])
        let payloads = try await world.owner.query("""
            SELECT payload FROM job_queue.jobs WHERE kind = 'sla.recount'
            """).column(PostgresJSON<ServiceLevels.RecountPayload>.self)
        let payload = try #require(payloads.first?.value)
        #expect(payloads.count == 1)
        #expect(try await world.levels.recount(payload) == 1)

        let after = try #require(try await world.openDeadlines(receipt.caseID).first)
        #expect(after.id == before.id, "the same deadline, counted again")
        let start = try await createdAt(world, receipt.caseID)
        let calendar = try await world.calendar()
        expectSchedule(after, start: start, policy: .standard(.acceptance), itemLimit: try await world.dibaoLimit(), calendar: calendar)
        #expect(after.schedule.dueAt > before.schedule.dueAt && CivilDay(after.schedule.dueAt) != holiday)
        try await expectDueDatesFollowDeadlines(world, receipt.caseID)
        // Run again (its runner died before the job ended): nothing moves a second time.
        #expect(try await world.levels.recount(payload) == 0)
        #expect(try await world.openDeadlines(receipt.caseID).first?.schedule == after.schedule)
        // Importing the same list again asks for no recount.
        _ = try await calendars.replaceYear(world.manager, year: holiday.year,
                                            days: kept + [.init(day: holiday, kind: .holiday, name: "补发假日")])
        #expect(try await world.count("SELECT count(*) FROM job_queue.jobs WHERE kind = 'sla.recount'") == 1)
    }

    @Test("a green-channel case (§6.3.5) gets the green limit, sooner than an ordinary case's")
    func greenChannel() async throws {
        try await JobsWorld.run { try await Self.greenChannel($0) }
    }

    static func greenChannel(_ world: JobsWorld) async throws {
        let ordinary = try await world.file(32)
        let green = try await world.file(33, green: "八十岁独居老人")
        try await world.levels.sync(countyID: world.countyID, caseID: ordinary.caseID)
        try await world.levels.sync(countyID: world.countyID, caseID: green.caseID)
        let greenDeadline = try #require(try await world.openDeadlines(green.caseID).first)
        let ordinaryDeadline = try #require(try await world.openDeadlines(ordinary.caseID).first)
        #expect(greenDeadline.green && !ordinaryDeadline.green)
        expectSchedule(greenDeadline, start: try await createdAt(world, green.caseID), policy: .standard(.acceptance), green: true,
                       itemLimit: try await world.dibaoLimit(), calendar: WorkingCalendar())
        #expect(greenDeadline.schedule.dueAt < ordinaryDeadline.schedule.dueAt)
        try await expectDueDatesFollowDeadlines(world, green.caseID)
    }

    @Test("dispatch ends acceptance (met) and opens signing per assignment; signing opens handling with the item's limit; closing ends all",
          .timeLimit(.minutes(2)))
    func followsTheCase() async throws {
        try await JobsWorld.run { try await Self.followsTheCase($0) }
    }

    static func followsTheCase(_ world: JobsWorld) async throws {
        let receipt = try await world.file(34)
        let caseID = receipt.caseID
        try await world.levels.sync(countyID: world.countyID, caseID: caseID)
        try await world.dispatch(caseID, to: [world.civilID, world.medicalID])
        try await world.levels.sync(countyID: world.countyID, caseID: caseID)
        let acceptance = try #require(try await world.deadlines(caseID).first { $0.stage == "acceptance" })
        #expect(acceptance.endedAt != nil && acceptance.endReason == "met", "\(acceptance)")
        // Its timer is not left waiting, as pending work, for a deadline that has ended.
        let acceptanceTimers = try await world.owner.query("""
            SELECT state::text FROM job_queue.jobs WHERE unique_key = \("sla.timer:" + acceptance.id.uuidString.lowercased())
            """).column(String.self)
        #expect(acceptanceTimers == ["cancelled"], "\(acceptanceTimers)")
        let signing = try await world.openDeadlines(caseID)
        #expect(signing.map(\.stage) == ["signing", "signing"])
        #expect(Set(signing.compactMap(\.departmentID)) == [world.civilID, world.medicalID])
        let civilAssignment = try await world.assignment(caseID, world.civilID)
        let civilSigning = try #require(signing.first { $0.assignmentID == civilAssignment })
        #expect(civilSigning.departmentID == world.civilID)
        let assignedAt = try await world.owner.query("SELECT assigned_at FROM case_assignments WHERE id = \(civilAssignment)").scalar(Date.self)
        expectSchedule(civilSigning, start: try #require(assignedAt), policy: .standard(.signing), itemLimit: 15, calendar: WorkingCalendar())
        try await expectDueDatesFollowDeadlines(world, caseID)

        let civil = try await world.staff("civil.agent", department: world.civilID, roles: [.departmentAgent])
        try await world.workflow.signFor(civil, assignmentID: civilAssignment, applicantNotice: "请携带身份证到民政局窗口办理。")
        try await world.levels.sync(countyID: world.countyID, caseID: caseID)
        try await expectHandlingOpened(world, caseID: caseID, assignment: civilAssignment, signing: civilSigning)
        try await expectDueDatesFollowDeadlines(world, caseID)
        try await finishAndClose(world, caseID: caseID, civil: civil)
    }

    static func expectHandlingOpened(_ world: JobsWorld, caseID: UUID, assignment: UUID,
                                     signing: JobsWorld.StoredDeadline) async throws {
        let all = try await world.deadlines(caseID)
        let endedSigning = try #require(all.first { $0.id == signing.id })
        #expect(endedSigning.endReason == "met")
        let open = try await world.openDeadlines(caseID)
        #expect(open.map(\.stage).sorted() == ["handling", "signing"], "the other department's signing stays open: \(open.map(\.stage))")
        let handling = try #require(open.first { $0.stage == "handling" })
        #expect(handling.assignmentID == assignment && handling.departmentID == world.civilID)
        let signedAt = try await world.owner.query("SELECT signed_at FROM case_assignments WHERE id = \(assignment)").scalar(Date.self)
        expectSchedule(handling, start: try #require(signedAt), policy: .standard(.handling), itemLimit: try await world.dibaoLimit(),
                       calendar: WorkingCalendar())
    }

    /// Both departments finish, the case completes (summary opens) and closes (nothing open).
    static func finishAndClose(_ world: JobsWorld, caseID: UUID, civil: TenantContext) async throws {
        let medical = try await world.staff("medical.agent", department: world.medicalID, roles: [.departmentAgent])
        let medicalAssignment = try await world.assignment(caseID, world.medicalID)
        try await world.workflow.signFor(medical, assignmentID: medicalAssignment, applicantNotice: "请到医保局窗口办理。")
        try await world.workflow.recordOutcome(medical, assignmentID: medicalAssignment, outcome: .granted, content: "医疗救助已落实。", amount: 300)
        try await world.workflow.recordOutcome(civil, assignmentID: try await world.assignment(caseID, world.civilID), outcome: .granted,
                                               content: "纳入低保。", amount: 500)
        try await world.levels.sync(countyID: world.countyID, caseID: caseID)
        let open = try await world.openDeadlines(caseID)
        #expect(open.map(\.stage) == ["summary"], "\(open.map(\.stage))")
        #expect(try await world.deadlines(caseID).filter { $0.stage == "handling" }.allSatisfy { $0.endedAt != nil })
        try await world.workflow.close(world.manager, caseID: caseID, summary: "两部门均已办结。")
        try await world.levels.sync(countyID: world.countyID, caseID: caseID)
        #expect(try await world.openDeadlines(caseID).isEmpty)
    }

    @Test("the last department's outcome ends its handling deadline as met, as an earlier department's outcome does",
          .timeLimit(.minutes(2)))
    func lastOutcomeIsMet() async throws {
        try await JobsWorld.run { try await Self.lastOutcomeIsMet($0) }
    }

    static func lastOutcomeIsMet(_ world: JobsWorld) async throws {
        let receipt = try await world.file(35)
        try await world.dispatch(receipt.caseID, to: [world.civilID, world.medicalID])
        let civil = try await world.staff("civil.agent", department: world.civilID, roles: [.departmentAgent])
        let medical = try await world.staff("medical.agent", department: world.medicalID, roles: [.departmentAgent])
        for (context, department) in [(civil, world.civilID), (medical, world.medicalID)] {
            try await world.workflow.signFor(context, assignmentID: try await world.assignment(receipt.caseID, department), applicantNotice: "请到窗口办理。")
        }
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        for (context, department) in [(medical, world.medicalID), (civil, world.civilID)] {
            try await world.workflow.recordOutcome(context, assignmentID: try await world.assignment(receipt.caseID, department),
                                                   outcome: .granted, content: "已办结。", amount: 100)
            try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        }
        let handling = try await world.deadlines(receipt.caseID).filter { $0.stage == "handling" }
        let reasons = Dictionary(uniqueKeysWithValues: handling.compactMap { d in d.departmentID.map { ($0, d.endReason ?? "open") } })
        #expect(reasons[world.medicalID] == "met")
        #expect(reasons[world.civilID] == "met", "the department that finished last: \(reasons[world.civilID] ?? "-") — its stage was met as well")
    }

    @Test("an approved extension replaces the handling deadline: the old one ended extended, the new one due later by the days",
          .timeLimit(.minutes(2)))
    func extensionMovesHandling() async throws {
        try await JobsWorld.run { try await Self.extensionMovesHandling($0) }
    }

    static func extensionMovesHandling(_ world: JobsWorld) async throws {
        let receipt = try await world.file(36)
        try await world.dispatch(receipt.caseID, to: [world.civilID])
        let civil = try await world.staff("civil.agent", department: world.civilID, roles: [.departmentAgent])
        let assignment = try await world.assignment(receipt.caseID, world.civilID)
        try await world.workflow.signFor(civil, assignmentID: assignment, applicantNotice: "请到民政局窗口办理。")
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let before = try #require(try await world.openDeadlines(receipt.caseID).first)
        try await world.workflow.requestExtension(civil, assignmentID: assignment, days: 5, reason: "需等待医院出具费用清单")
        let extensionID = try #require(try await world.owner.query("SELECT id FROM case_extensions WHERE assignment_id = \(assignment)").scalar(UUID.self))
        try await world.workflow.decideExtension(world.manager, extensionID: extensionID, approve: true, note: "同意延期")
        #expect(try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID) == 1)
        let old = try #require(try await world.deadlines(receipt.caseID).first { $0.id == before.id })
        #expect(old.endReason == "extended")
        let open = try await world.openDeadlines(receipt.caseID)
        #expect(open.count == 1)
        let after = try #require(open.first)
        #expect(after.stage == "handling" && after.extensionWorkingDays == 5 && after.assignmentID == assignment)
        expectSchedule(after, start: before.startedAt, policy: .standard(.handling), itemLimit: try await world.dibaoLimit(),
                       extensionDays: 5, calendar: WorkingCalendar())
        #expect(after.schedule.dueAt > before.schedule.dueAt)
        #expect(sameInstant(WorkingCalendar().adding(workingDays: 5, to: before.schedule.dueAt), after.schedule.dueAt))
        try await expectDueDatesFollowDeadlines(world, receipt.caseID)
    }

    @Test("rejecting ends the acceptance deadline; withdrawing a dispatched case ends its signing deadlines")
    func endingTheCaseEndsAll() async throws {
        try await JobsWorld.run { try await Self.endingTheCaseEndsAll($0) }
    }

    static func endingTheCaseEndsAll(_ world: JobsWorld) async throws {
        let rejected = try await world.file(37)
        try await world.levels.sync(countyID: world.countyID, caseID: rejected.caseID)
        try await world.reject(rejected.caseID)
        try await world.levels.sync(countyID: world.countyID, caseID: rejected.caseID)
        #expect(try await world.openDeadlines(rejected.caseID).isEmpty)
        #expect(try await world.deadlines(rejected.caseID).count == 1)

        let withdrawn = try await world.file(38)
        try await world.dispatch(withdrawn.caseID, to: [world.civilID, world.medicalID])
        try await world.levels.sync(countyID: world.countyID, caseID: withdrawn.caseID)
        #expect(try await world.openDeadlines(withdrawn.caseID).count == 2)
        try await world.workflow.withdraw(world.manager, caseID: withdrawn.caseID, reason: "申请人来电撤回申请")
        try await world.levels.sync(countyID: world.countyID, caseID: withdrawn.caseID)
        #expect(try await world.openDeadlines(withdrawn.caseID).isEmpty)
    }

    @Test("the joint office's decision ends the joint review deadline as met, without restarting it")
    func decisionEndsJointReviewDeadline() async throws {
        try await JobsWorld.run { try await Self.decisionEndsJointReviewDeadline($0) }
    }

    static func decisionEndsJointReviewDeadline(_ world: JobsWorld) async throws {
        let receipt = try await world.file(41)
        try await world.workflow.refer(world.manager, caseID: receipt.caseID, reason: .severalDepartments, note: nil)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let referred = try #require(try await world.openDeadlines(receipt.caseID).first)
        let referredAt = try await world.owner.query("""
            SELECT at FROM case_events WHERE case_id = \(receipt.caseID) AND action = 'refer'
            """).scalar(Date.self)
        #expect(referred.stage == "joint_review" && referredAt.map { sameInstant($0, referred.startedAt) } == true)
        let office = try await world.staff("joint.office", department: try await jointOfficeID(world), roles: [.jointOffice])
        try await Task.sleep(for: .milliseconds(50))
        try await world.workflow.decide(office, caseID: receipt.caseID, relief: true, plan: "民政局牵头纳入低保。", reason: nil,
                                        departmentIDs: [world.civilID], leadDepartmentID: world.civilID)
        // The decision ends the office's stage (met); it does not restart its clock. The case
        // waits in joint_review for the center, which the office is no longer timed for.
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let deadlines = try await world.deadlines(receipt.caseID)
        #expect(deadlines.count == 1, "the decision restarted the joint review clock: \(deadlines.map { "\($0.stage) \($0.startedAt) \($0.endReason ?? "open")" })")
        #expect(deadlines.first?.id == referred.id && deadlines.first?.endReason == "met")
        #expect(try await world.openDeadlines(receipt.caseID).isEmpty)
    }

    @Test("a department dispatched again after a reopening starts its handling without the earlier round's extension",
          .timeLimit(.minutes(2)))
    func reopenedRoundStartsAfresh() async throws {
        try await JobsWorld.run { try await Self.reopenedRoundStartsAfresh($0) }
    }

    static func reopenedRoundStartsAfresh(_ world: JobsWorld) async throws {
        let receipt = try await world.file(42)
        let civil = try await world.staff("civil.agent", department: world.civilID, roles: [.departmentAgent])
        try await world.dispatch(receipt.caseID, to: [world.civilID])
        let assignment = try await world.assignment(receipt.caseID, world.civilID)
        try await world.workflow.signFor(civil, assignmentID: assignment, applicantNotice: "请到民政局窗口办理。")
        try await world.workflow.requestExtension(civil, assignmentID: assignment, days: 3, reason: "需补充调查")
        let extensionID = try #require(try await world.owner.query("SELECT id FROM case_extensions WHERE assignment_id = \(assignment)").scalar(UUID.self))
        try await world.workflow.decideExtension(world.manager, extensionID: extensionID, approve: true, note: nil)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        #expect(try await world.openDeadlines(receipt.caseID).first?.extensionWorkingDays == 3)
        try await world.workflow.recordOutcome(civil, assignmentID: assignment, outcome: .granted, content: "纳入低保。", amount: 500)
        try await world.workflow.close(world.manager, caseID: receipt.caseID, summary: "已办结。")
        try await world.workflow.followUp(world.manager, caseID: receipt.caseID, satisfaction: 2, comments: "救助金额有误", reopen: true)
        try await Task.sleep(for: .milliseconds(20))
        try await world.dispatch(receipt.caseID, to: [world.civilID])
        try await world.workflow.signFor(civil, assignmentID: assignment, applicantNotice: "请再次到民政局窗口办理。")
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let handling = try #require(try await world.openDeadlines(receipt.caseID).first { $0.stage == "handling" })
        #expect(handling.extensionWorkingDays == 0, "the new round inherited \(handling.extensionWorkingDays) days")
    }

    static func jointOfficeID(_ world: JobsWorld) async throws -> UUID {
        try #require(try await world.owner.query("SELECT id FROM departments WHERE kind = 'joint_office'").scalar(UUID.self))
    }

    @Test("waiting for the applicant (补正) at acceptance pauses the same deadline and resumes it: the deadline is not replaced")
    func applicantWaitKeepsDeadline() async throws {
        try await JobsWorld.run { try await Self.applicantWaitKeepsDeadline($0) }
    }

    static func applicantWaitKeepsDeadline(_ world: JobsWorld) async throws {
        let receipt = try await world.file(42)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let original = try #require(try await world.openDeadlines(receipt.caseID).first)
        try await Task.sleep(for: .milliseconds(50))
        try await world.workflow.awaitApplicant(world.manager, caseID: receipt.caseID, reason: "请补交收入证明")
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        try await world.workflow.applicantReturned(world.manager, caseID: receipt.caseID)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let deadlines = try await world.deadlines(receipt.caseID)
        #expect(deadlines.count == 1, "the wait replaced the acceptance deadline: \(deadlines.map { "\($0.startedAt) \($0.endReason ?? "open")" })")
        let open = try #require(try await world.openDeadlines(receipt.caseID).first)
        #expect(open.id == original.id && sameInstant(open.startedAt, original.startedAt), "the clock restarted at the wait")
        #expect(open.schedule.dueAt >= original.schedule.dueAt)
    }

    @Test("a county policy changes the limits of deadlines opened afterwards; open ones keep theirs")
    func countyPolicy() async throws {
        try await JobsWorld.run { try await Self.countyPolicy($0) }
    }

    static func countyPolicy(_ world: JobsWorld) async throws {
        let earlier = try await world.file(39)
        try await world.levels.sync(countyID: world.countyID, caseID: earlier.caseID)
        let earlierDeadline = try #require(try await world.openDeadlines(earlier.caseID).first)
        let policy = SLAPolicy(stage: .acceptance, limitWorkingDays: 6, greenLimitWorkingDays: 1, warnAtFraction: 0.5,
                               escalateAfterWorkingDays: 3, pausesForApplicant: false)
        let set = try await ServiceLevelRecords(store: world.store).setPolicy(world.manager, policy)
        #expect(set.custom && set.policy == policy)
        let later = try await world.file(40)
        try await world.levels.sync(countyID: world.countyID, caseID: later.caseID)
        let laterDeadline = try #require(try await world.openDeadlines(later.caseID).first)
        expectSchedule(laterDeadline, start: try await createdAt(world, later.caseID), policy: policy,
                       itemLimit: try await world.dibaoLimit(), calendar: WorkingCalendar())
        #expect(laterDeadline.schedule.dueAt > earlierDeadline.schedule.dueAt)
        #expect(try await world.levels.sync(countyID: world.countyID, caseID: earlier.caseID) == 0)
        let unchanged = try #require(try await world.openDeadlines(earlier.caseID).first)
        #expect(unchanged.id == earlierDeadline.id && unchanged.schedule == earlierDeadline.schedule)
    }
}
