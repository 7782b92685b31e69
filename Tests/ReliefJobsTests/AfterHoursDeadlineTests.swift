import Foundation
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

/// A deadline is never due before its stage began. Online applications and 12345 orders
/// arrive at any hour; a green-channel case (§6.3.5) has an acceptance limit of 0 working
/// days, "by the end of the same working day" — which, for a case filed after the office
/// closed, must be the next working day's end, not the evening that has already passed.
@Suite("Deadlines of cases filed after office hours")
struct AfterHoursDeadlineTests {
    /// Monday 2 March 2026, 20:00 in Shanghai: the office closed at 17:30.
    static let mondayEvening = CivilDay(year: 2026, month: 3, day: 2)!.at(hour: 20)

    @Test("SLASchedule: a green case filed at 20:00 on a Monday is due at the end of Tuesday, not at 17:30 that Monday")
    func greenLimitAfterClosing() {
        let schedule = SLASchedule(start: Self.mondayEvening, policy: .standard(.acceptance), green: true,
                                   itemLimitWorkingDays: 15, calendar: WorkingCalendar())
        let tuesdayClose = CivilDay(year: 2026, month: 3, day: 3)!.at(hour: 17, minute: 30)
        #expect(schedule.dueAt >= Self.mondayEvening, "due \(schedule.dueAt) is before the case was filed (\(Self.mondayEvening))")
        #expect(schedule.dueAt == tuesdayClose, "due \(schedule.dueAt)")
        #expect(schedule.warnAt >= Self.mondayEvening, "warning \(schedule.warnAt)")
    }

    @Test("sync: the acceptance deadline of a green case filed after hours does not fall due before it started")
    func syncedAfterHours() async throws {
        try await JobsWorld.run { try await Self.syncedAfterHours($0) }
    }

    static func syncedAfterHours(_ world: JobsWorld) async throws {
        let receipt = try await world.file(71, green: "孕妇，行动不便")
        // As if it had been filed on that Monday evening.
        try await world.owner.execute("UPDATE cases SET created_at = \(mondayEvening) WHERE id = \(receipt.caseID)")
        try await world.owner.execute("UPDATE case_events SET at = \(mondayEvening) WHERE case_id = \(receipt.caseID)")
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let deadline = try #require(try await world.openDeadlines(receipt.caseID).first)
        #expect(sameInstant(deadline.startedAt, mondayEvening))
        #expect(deadline.schedule.dueAt > deadline.startedAt,
                "started \(deadline.startedAt), due \(deadline.schedule.dueAt): overdue the moment it was filed")
    }
}
