import Foundation
import ReliefDomain
import Testing

/// SLA schedules on the working-day calendar (DESIGN.md "SLA"; issue 6, item 4): when a stage
/// warns, falls due and escalates, for the green channel (§6.3.5), with extensions and with
/// the office time spent waiting for the applicant.
@Suite("Service levels")
struct ServiceLevelTests {
    static func day(_ text: String) -> CivilDay { CivilDay(text)! }

    /// National Day 2025: 1–8 October off, Saturday 11 October worked.
    static let calendar = WorkingCalendar(
        holidays: Set((1...8).map { day(String(format: "2025-10-%02d", $0)) }),
        makeUpWorkdays: [day("2025-10-11")])

    @Test("office time added skips nights, weekends and holidays")
    func addingWorkingTime() {
        let calendar = Self.calendar
        let friday = Self.day("2025-09-26").at(hour: 16, minute: 30)
        #expect(calendar.adding(workingTime: .seconds(3600), to: friday) == Self.day("2025-09-26").at(hour: 17, minute: 30))
        // An hour after closing time on Friday is an hour after opening on the next working day.
        #expect(calendar.adding(workingTime: .seconds(7200), to: friday) == Self.day("2025-09-29").at(hour: 9, minute: 30))
        // From the last day before National Day to the first after it.
        let beforeHoliday = Self.day("2025-09-30").at(hour: 17)
        #expect(calendar.adding(workingTime: .seconds(3600), to: beforeHoliday) == Self.day("2025-10-09").at(hour: 9))
        // Started at night, it counts from the next opening.
        #expect(calendar.adding(workingTime: .seconds(600), to: Self.day("2025-09-29").at(hour: 3)) == Self.day("2025-09-29").at(hour: 8, minute: 40))
    }

    @Test("acceptance: due at the end of the 2nd working day, warning at 75 % of the office time, escalation a working day later")
    func acceptanceSchedule() {
        let start = Self.day("2025-09-25").at(hour: 10)  // Thursday
        let schedule = SLASchedule(start: start, policy: .standard(.acceptance), green: false, itemLimitWorkingDays: 15,
                                   calendar: Self.calendar)
        #expect(schedule.dueAt == Self.day("2025-09-29").at(hour: 17, minute: 30))  // Fri, then Mon
        #expect(schedule.escalateAt == Self.day("2025-09-30").at(hour: 17, minute: 30))
        let total = Self.calendar.workingTimeRemaining(from: start, until: schedule.dueAt)
        let beforeWarning = Self.calendar.workingTimeRemaining(from: start, until: schedule.warnAt)
        #expect(abs(beforeWarning / total - 0.75) < 0.001)
        #expect(schedule.warnAt < schedule.dueAt && schedule.dueAt < schedule.escalateAt)
    }

    @Test("§6.3.5: the green channel's acceptance ends the same working day; from a Saturday, the next working day")
    func greenChannel() {
        let policy = SLAPolicy.standard(.acceptance)
        let thursday = SLASchedule(start: Self.day("2025-09-25").at(hour: 10), policy: policy, green: true, itemLimitWorkingDays: 15,
                                   calendar: Self.calendar)
        #expect(thursday.dueAt == Self.day("2025-09-25").at(hour: 17, minute: 30))
        let saturday = SLASchedule(start: Self.day("2025-09-27").at(hour: 10), policy: policy, green: true, itemLimitWorkingDays: 15,
                                   calendar: Self.calendar)
        #expect(saturday.dueAt == Self.day("2025-09-29").at(hour: 17, minute: 30))
    }

    @Test("handling takes the item's limit; the green channel half of it, rounded up; an extension adds its working days")
    func handlingLimits() {
        let policy = SLAPolicy.standard(.handling)
        #expect(policy.limit(green: false, itemLimitWorkingDays: 15) == 15)
        #expect(policy.limit(green: true, itemLimitWorkingDays: 15) == 8)
        #expect(policy.limit(green: true, itemLimitWorkingDays: 1) == 1)
        let start = Self.day("2025-09-29").at(hour: 9)  // Monday
        let plain = SLASchedule(start: start, policy: policy, green: false, itemLimitWorkingDays: 2, calendar: Self.calendar)
        #expect(plain.dueAt == Self.day("2025-10-09").at(hour: 17, minute: 30))  // Tue 30th, then Thu 9th after the holiday
        let extended = SLASchedule(start: start, policy: policy, green: false, itemLimitWorkingDays: 2, extensionWorkingDays: 2,
                                   calendar: Self.calendar)
        #expect(extended.dueAt == Self.day("2025-10-11").at(hour: 17, minute: 30))  // Fri 10th, Sat 11th (made up)
    }

    @Test("office time spent waiting for the applicant moves the deadline by as much office time")
    func pausedTime() {
        let start = Self.day("2025-09-25").at(hour: 10)
        let policy = SLAPolicy.standard(.acceptance)
        let plain = SLASchedule(start: start, policy: policy, green: false, itemLimitWorkingDays: 15, calendar: Self.calendar)
        let paused = SLASchedule(start: start, policy: policy, green: false, itemLimitWorkingDays: 15, pausedTime: .seconds(2 * 3600),
                                 calendar: Self.calendar)
        #expect(plain.dueAt == Self.day("2025-09-29").at(hour: 17, minute: 30))
        #expect(paused.dueAt == Self.day("2025-09-30").at(hour: 10, minute: 30))
    }

    @Test("steps come due in order warning, due, escalation, each only until taken")
    func stepsInOrder() {
        let schedule = SLASchedule(warnAt: Date(timeIntervalSince1970: 100), dueAt: Date(timeIntervalSince1970: 200),
                                   escalateAt: Date(timeIntervalSince1970: 300))
        #expect(schedule.stepsDue(at: Date(timeIntervalSince1970: 50), taken: []) == [])
        #expect(schedule.stepsDue(at: Date(timeIntervalSince1970: 250), taken: []) == [.warning, .due])
        #expect(schedule.stepsDue(at: Date(timeIntervalSince1970: 250), taken: [.warning]) == [.due])
        #expect(schedule.stepsDue(at: Date(timeIntervalSince1970: 400), taken: [.warning, .due, .escalation]) == [])
        #expect(schedule.nextStepTime(taken: []) == Date(timeIntervalSince1970: 100))
        #expect(schedule.nextStepTime(taken: [.warning, .due]) == Date(timeIntervalSince1970: 300))
        #expect(schedule.nextStepTime(taken: Set(SLAStep.allCases)) == nil)
    }

    @Test("a policy out of bounds is refused with the reason; the standard ones are fine")
    func policyBounds() {
        for stage in SLAStage.allCases { #expect(SLAPolicy.standard(stage).problem == nil) }
        var policy = SLAPolicy.standard(.acceptance)
        policy.warnAtFraction = 0.99
        #expect(policy.problem != nil)
        policy = .standard(.acceptance)
        policy.greenLimitWorkingDays = 3
        #expect(policy.problem != nil)  // longer than the normal 2
        policy = .standard(.handling)
        policy.limitWorkingDays = 5
        #expect(policy.problem != nil)  // handling takes the item's limit
        policy = .standard(.signing)
        policy.escalateAfterWorkingDays = 11
        #expect(policy.problem != nil)
        // A limit left out is named as left out, not as out of range.
        policy = .standard(.acceptance)
        policy.greenLimitWorkingDays = nil
        #expect(policy.problem?.contains("greenLimitWorkingDays") == true, "\(policy.problem ?? "-")")
        policy.limitWorkingDays = nil
        #expect(policy.problem?.contains("limitWorkingDays") == true, "\(policy.problem ?? "-")")
    }
}
