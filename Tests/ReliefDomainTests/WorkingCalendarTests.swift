import Foundation
import ReliefDomain
import Testing

/// Deadlines in working days on a calendar with holidays and make-up working days (调休).
/// The 2025 arrangement of the State Council's General Office: National Day and Mid-Autumn
/// 1–8 October off, Sunday 28 September and Saturday 11 October worked; Spring Festival
/// 28 January–4 February off, Sunday 26 January and Saturday 8 February worked.
@Suite("Working-day calendar")
struct WorkingCalendarTests {
    static func day(_ text: String) -> CivilDay { CivilDay(text)! }

    static let calendar = WorkingCalendar(
        holidays: Set((1...8).map { day(String(format: "2025-10-%02d", $0)) }
            + ["2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04"].map(day)),
        makeUpWorkdays: [day("2025-09-28"), day("2025-10-11"), day("2025-01-26"), day("2025-02-08")])

    @Test("weekdays work, weekends rest, holidays rest, make-up days work")
    func workingDays() {
        let calendar = Self.calendar
        #expect(calendar.isWorkingDay(Self.day("2025-09-26")))   // Friday
        #expect(!calendar.isWorkingDay(Self.day("2025-09-27")))  // Saturday
        #expect(calendar.isWorkingDay(Self.day("2025-09-28")))   // Sunday, made up
        #expect(!calendar.isWorkingDay(Self.day("2025-10-01")))  // National Day
        #expect(!calendar.isWorkingDay(Self.day("2025-10-06")))  // Monday, holiday
        #expect(calendar.isWorkingDay(Self.day("2025-10-09")))
        #expect(calendar.isWorkingDay(Self.day("2025-10-11")))   // Saturday, made up
        #expect(!calendar.isWorkingDay(Self.day("2025-10-12")))
    }

    @Test("adding working days skips holidays and counts make-up days; deadlines end at closing time")
    func addingWorkingDays() {
        let calendar = Self.calendar
        let friday = Self.day("2025-09-26").at(hour: 10)
        #expect(calendar.adding(workingDays: 1, to: friday) == Self.day("2025-09-28").at(hour: 17, minute: 30))
        #expect(calendar.adding(workingDays: 2, to: friday) == Self.day("2025-09-29").at(hour: 17, minute: 30))
        // Across the National Day week: the 30th, then the 9th.
        let beforeHoliday = Self.day("2025-09-30").at(hour: 10)
        #expect(calendar.adding(workingDays: 1, to: beforeHoliday) == Self.day("2025-10-09").at(hour: 17, minute: 30))
        #expect(calendar.adding(workingDays: 3, to: beforeHoliday) == Self.day("2025-10-11").at(hour: 17, minute: 30))
        #expect(calendar.adding(workingDays: 4, to: beforeHoliday) == Self.day("2025-10-13").at(hour: 17, minute: 30))
        // Filed during the holiday: counting starts after it.
        let duringHoliday = Self.day("2025-10-03").at(hour: 9)
        #expect(calendar.adding(workingDays: 1, to: duringHoliday) == Self.day("2025-10-09").at(hour: 17, minute: 30))
        #expect(calendar.adding(workingDays: 0, to: duringHoliday) == Self.day("2025-10-09").at(hour: 17, minute: 30))
        // Spring Festival: Monday 27 January, then 5 February; the Saturday after is worked.
        let beforeNewYear = Self.day("2025-01-27").at(hour: 16)
        #expect(calendar.adding(workingDays: 1, to: beforeNewYear) == Self.day("2025-02-05").at(hour: 17, minute: 30))
        #expect(calendar.adding(workingDays: 4, to: beforeNewYear) == Self.day("2025-02-08").at(hour: 17, minute: 30))
        // A whole 低保 limit of 25 working days.
        let deadline = calendar.adding(workingDays: 25, to: Self.day("2025-09-15").at(hour: 9))
        // 12 in September (the 28th made up), 13 from the 9th of October (the 11th made up).
        #expect(CivilDay(deadline) == Self.day("2025-10-24"))
    }

    @Test("the end of the working day, and of the next one on a day off")
    func endOfWorkingDay() {
        let calendar = Self.calendar
        #expect(calendar.endOfWorkingDay(containing: Self.day("2025-10-10").at(hour: 9))
                == Self.day("2025-10-10").at(hour: 17, minute: 30))
        #expect(calendar.endOfWorkingDay(containing: Self.day("2025-10-04").at(hour: 9))
                == Self.day("2025-10-09").at(hour: 17, minute: 30))
    }

    @Test("working time remaining counts office hours of working days only")
    func remaining() {
        let calendar = Self.calendar
        // Friday 17:00 → make-up Saturday 17:30: half an hour, then a whole day of nine hours.
        #expect(calendar.workingTimeRemaining(from: Self.day("2025-10-10").at(hour: 17),
                                              until: Self.day("2025-10-11").at(hour: 17, minute: 30)) == .seconds(9.5 * 3600))
        // Over the holiday week: half an hour on the 30th, an hour on the 9th.
        #expect(calendar.workingTimeRemaining(from: Self.day("2025-09-30").at(hour: 17),
                                              until: Self.day("2025-10-09").at(hour: 9, minute: 30)) == .seconds(1.5 * 3600))
        // Outside office hours nothing passes.
        #expect(calendar.workingTimeRemaining(from: Self.day("2025-10-10").at(hour: 18),
                                              until: Self.day("2025-10-10").at(hour: 23)) == .zero)
        #expect(calendar.workingTimeRemaining(from: Self.day("2025-10-10").at(hour: 12),
                                              until: Self.day("2025-10-10").at(hour: 11)) == .zero)
    }

    @Test("days are checked and read in Shanghai time")
    func civilDays() {
        #expect(CivilDay("2025-02-29") == nil)
        #expect(CivilDay("2024-02-29") != nil)
        #expect(CivilDay("2025-13-01") == nil)
        #expect(CivilDay("25-01-01") == nil)
        #expect(Self.day("2025-10-01").description == "2025-10-01")
        // 16:30 UTC is already the next day in Shanghai.
        let lateUTC = Date(timeIntervalSince1970: 1_759_336_200)  // 2025-10-01T16:30:00Z
        #expect(CivilDay(lateUTC) == Self.day("2025-10-02"))
    }

    @Test("a deadline counted before a year's holidays were published is counted again on them, keeping its length in office time")
    func recountAfterImport() {
        // Counted on a calendar that did not know 2025's National Day yet: 5 working days from
        // Friday 26 September 10:00 end on Friday 3 October.
        let unpublished = WorkingCalendar()
        let start = Self.day("2025-09-26").at(hour: 10)
        let due = unpublished.adding(workingDays: 5, to: start)
        #expect(CivilDay(due) == Self.day("2025-10-03"))
        // Published: Sunday 28 September worked, 1–8 October off. The same office time ends on
        // Friday 10 October (28, 29, 30 September, 9 and 10 October), where counting afresh ends too.
        let recounted = unpublished.recount(due, after: start, on: Self.calendar)
        #expect(recounted == Self.calendar.adding(workingDays: 5, to: start))
        #expect(CivilDay(recounted) == Self.day("2025-10-10") && recounted == Self.calendar.closing(of: Self.day("2025-10-10")))
        // Counting again on the same calendar moves nothing; a time before the start stays.
        #expect(Self.calendar.recount(recounted, after: start, on: Self.calendar) == recounted)
        #expect(unpublished.recount(start.addingTimeInterval(-60), after: start, on: Self.calendar) == start.addingTimeInterval(-60))
    }

    @Test("a deadline recounted onto the end of a working day ends at its close, whatever fraction of a second the case began at")
    func recountEndsAtTheClose() {
        // Begun on Tuesday 1 December 2026 at 08:52:48 and a fraction; due two working days on,
        // at Thursday's close. Thursday then becomes a holiday: the same office time ends at
        // Friday's close, not at Monday's opening, which a millisecond's rounding once gave.
        let unpublished = WorkingCalendar()
        let published = WorkingCalendar(holidays: [Self.day("2026-12-03")])
        for fraction in [0.0001, 0.2345, 0.4999, 0.5, 0.5001, 0.7777, 0.9999] {
            let start = Self.day("2026-12-01").at(hour: 8, minute: 52).addingTimeInterval(48 + fraction)
            let due = unpublished.adding(workingDays: 2, to: start)
            #expect(due == unpublished.closing(of: Self.day("2026-12-03")))
            let recounted = unpublished.recount(due, after: start, on: published)
            #expect(recounted == published.closing(of: Self.day("2026-12-04")), "begun at +\(fraction) s: \(recounted)")
        }
    }

    @Test("replacing a year's special days keeps the other years'")
    func replacingAYear() {
        let replaced = Self.calendar.replacing(year: 2025, holidays: [Self.day("2025-05-01")], makeUpWorkdays: [])
        #expect(replaced.holidays == [Self.day("2025-05-01")] && replaced.makeUpWorkdays.isEmpty)
        let other = WorkingCalendar(holidays: [Self.day("2026-01-01")]).replacing(year: 2025, holidays: [Self.day("2025-05-01")], makeUpWorkdays: [])
        #expect(other.holidays == [Self.day("2026-01-01"), Self.day("2025-05-01")])
    }
}
