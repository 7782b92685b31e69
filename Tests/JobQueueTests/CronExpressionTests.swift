import Foundation
import JobQueue
import Testing

/// A date from ISO 8601 text with its offset, e.g. "2026-11-29T03:00:00+08:00".
func date(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { fatalError("not an ISO 8601 date: \(text)") }
    return date
}

@Suite("Cron expressions")
struct CronExpressionTests {
    private func next(_ text: String, after start: String) throws -> Date {
        try CronExpression(text).nextSlot(after: date(start))
    }

    /// The first `count` slots after `start`.
    private func slots(_ text: String, after start: String, count: Int) throws -> [Date] {
        let expression = try CronExpression(text)
        var slots: [Date] = []
        var last = date(start)
        for _ in 0..<count {
            last = expression.nextSlot(after: last)
            slots.append(last)
        }
        return slots
    }

    @Test("*/15 runs at minutes 0, 15, 30 and 45, strictly after the given time")
    func everyFifteenMinutes() throws {
        #expect(try next("*/15 * * * *", after: "2026-11-29T10:07:00+08:00") == date("2026-11-29T10:15:00+08:00"))
        #expect(try next("*/15 * * * *", after: "2026-11-29T10:15:00+08:00") == date("2026-11-29T10:30:00+08:00"))
        #expect(try next("*/15 * * * *", after: "2026-11-29T10:14:59+08:00") == date("2026-11-29T10:15:00+08:00"))
        #expect(try next("*/15 * * * *", after: "2026-11-29T23:50:00+08:00") == date("2026-11-30T00:00:00+08:00"))
        #expect(try slots("*/15 * * * *", after: "2026-11-29T10:59:30+08:00", count: 3)
            == ["2026-11-29T11:00:00+08:00", "2026-11-29T11:15:00+08:00", "2026-11-29T11:30:00+08:00"].map(date))
    }

    @Test("0 2 * * * after 03:00 in Shanghai is 02:00 the next day, across month and year ends")
    func dailyAcrossBoundaries() throws {
        #expect(try next("0 2 * * *", after: "2026-11-29T03:00:00+08:00") == date("2026-11-30T02:00:00+08:00"))
        #expect(try next("0 2 * * *", after: "2026-11-30T03:00:00+08:00") == date("2026-12-01T02:00:00+08:00"))
        #expect(try next("0 2 * * *", after: "2026-12-31T02:00:00+08:00") == date("2027-01-01T02:00:00+08:00"))
        #expect(try next("0 2 * * *", after: "2026-11-29T01:59:00+08:00") == date("2026-11-29T02:00:00+08:00"))
        // 02:00 in Shanghai is 18:00 UTC the day before.
        #expect(try next("0 2 * * *", after: "2026-11-29T17:30:00Z") == date("2026-11-29T18:00:00Z"))
    }

    @Test("an expression in another time zone counts its hours there")
    func otherTimeZone() throws {
        let utc = try CronExpression("0 2 * * *", timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.nextSlot(after: date("2026-11-29T03:00:00Z")) == date("2026-11-30T02:00:00Z"))
        #expect(try CronExpression("0 2 * * *") != utc)
    }

    @Test("0 9 * * 1-5 runs at nine on weekdays only: Friday's next is Monday")
    func weekdays() throws {
        // 2026-11-27 is a Friday, 2026-11-30 a Monday.
        #expect(try next("0 9 * * 1-5", after: "2026-11-27T10:00:00+08:00") == date("2026-11-30T09:00:00+08:00"))
        #expect(try next("0 9 * * 1-5", after: "2026-11-30T08:00:00+08:00") == date("2026-11-30T09:00:00+08:00"))
        let days = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"]
        #expect(try slots("0 9 * * 1-5", after: "2026-11-29T00:00:00+08:00", count: 6) == days.map { date("\($0)T09:00:00+08:00") })
    }

    @Test("lists of values and ranges are accepted in every field")
    func lists() throws {
        #expect(try slots("0,30 8,18 * * *", after: "2026-11-29T08:10:00+08:00", count: 4)
            == ["2026-11-29T08:30:00+08:00", "2026-11-29T18:00:00+08:00", "2026-11-29T18:30:00+08:00", "2026-11-30T08:00:00+08:00"].map(date))
        #expect(try slots("5 0 1,15 1-2 *", after: "2026-11-29T00:00:00+08:00", count: 3)
            == ["2027-01-01T00:05:00+08:00", "2027-01-15T00:05:00+08:00", "2027-02-01T00:05:00+08:00"].map(date))
        #expect(try next("10-20/5,45 * * * *", after: "2026-11-29T10:15:00+08:00") == date("2026-11-29T10:20:00+08:00"))
        #expect(try next("10-20/5,45 * * * *", after: "2026-11-29T10:20:00+08:00") == date("2026-11-29T10:45:00+08:00"))
    }

    @Test("with both day fields restricted, either matches (day of month OR day of week)")
    func dayOfMonthOrDayOfWeek() throws {
        // The 13th, or any Friday: 2026-12-11 is a Friday, 2026-12-13 a Sunday.
        #expect(try slots("0 0 13 * 5", after: "2026-12-10T12:00:00+08:00", count: 3)
            == ["2026-12-11T00:00:00+08:00", "2026-12-13T00:00:00+08:00", "2026-12-18T00:00:00+08:00"].map(date))
        // Only the day of month restricted: the 13th whatever weekday.
        #expect(try slots("0 0 13 * *", after: "2026-12-10T12:00:00+08:00", count: 2)
            == ["2026-12-13T00:00:00+08:00", "2027-01-13T00:00:00+08:00"].map(date))
        // Only the day of week restricted: Fridays.
        #expect(try slots("0 0 * * 5", after: "2026-12-10T12:00:00+08:00", count: 2)
            == ["2026-12-11T00:00:00+08:00", "2026-12-18T00:00:00+08:00"].map(date))
    }

    @Test("Sunday is both 0 and 7")
    func sunday() throws {
        let expected = date("2026-12-06T12:00:00+08:00")
        #expect(try next("0 12 * * 0", after: "2026-11-29T13:00:00+08:00") == expected)
        #expect(try next("0 12 * * 7", after: "2026-11-29T13:00:00+08:00") == expected)
        #expect(try next("0 12 * * 5-7", after: "2026-11-29T13:00:00+08:00") == date("2026-12-04T12:00:00+08:00"))
    }

    @Test("a day that comes only in leap years is found four years on")
    func leapDay() throws {
        #expect(try next("0 0 29 2 *", after: "2026-03-01T00:00:00+08:00") == date("2028-02-29T00:00:00+08:00"))
    }

    @Test("an expression that can never match answers the distant future")
    func neverMatches() throws {
        #expect(try next("0 0 31 2 *", after: "2026-11-29T00:00:00+08:00") == .distantFuture)
    }

    @Test("the description is the text it was made from")
    func description() throws {
        #expect(try CronExpression("*/15 * * * *").description == "*/15 * * * *")
    }

    @Test("bad expressions throw CronExpression.Invalid", arguments: [
        "", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 0 *",
        "* * * 13 *", "* * * * 8", "*/0 * * * *", "*/-1 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *",
        "1-2-3 * * * *", "*/5/2 * * * *", "-1 * * * *", "1- * * * *", "*-5 * * * *", ", * * * *", "*/x * * * *",
    ])
    func invalid(_ text: String) {
        #expect(throws: CronExpression.Invalid.self) { try CronExpression(text) }
    }
}

@Suite("Periodic schedules")
struct PeriodicScheduleTests {
    @Test("every(n) slots are aligned to the epoch and strictly after the given time")
    func everyIsAligned() {
        let minute = PeriodicSchedule.every(.seconds(60))
        #expect(minute.nextSlot(after: Date(timeIntervalSince1970: 100.5)) == Date(timeIntervalSince1970: 120))
        #expect(minute.nextSlot(after: Date(timeIntervalSince1970: 120)) == Date(timeIntervalSince1970: 180))
        #expect(minute.nextSlot(after: Date(timeIntervalSince1970: 119.999)) == Date(timeIntervalSince1970: 120))
        let second = PeriodicSchedule.every(.seconds(1))
        #expect(second.nextSlot(after: date("2026-11-29T10:00:00Z").addingTimeInterval(0.25)) == date("2026-11-29T10:00:01Z"))
    }

    @Test("two runners computing slots for the same interval agree, whatever moment each asks at")
    func slotsAgree() {
        let every5 = PeriodicSchedule.every(.seconds(5))
        let a = every5.nextSlot(after: Date(timeIntervalSince1970: 1_800_000_001.3))
        let b = every5.nextSlot(after: Date(timeIntervalSince1970: 1_800_000_004.9))
        #expect(a == b)
        #expect(a == Date(timeIntervalSince1970: 1_800_000_005))
    }

    @Test("latestSlot answers only the latest slot after a long gap, never the missed ones")
    func latestSlotAfterGap() throws {
        let minute = PeriodicSchedule.every(.seconds(60))
        let last = Date(timeIntervalSince1970: 1_800_000_000)
        let now = last.addingTimeInterval(3 * 86_400 + 59)
        #expect(minute.latestSlot(after: last, notLaterThan: now) == last.addingTimeInterval(3 * 86_400))
        let nightly = PeriodicSchedule.cron(try CronExpression("0 2 * * *"))
        #expect(nightly.latestSlot(after: date("2026-11-01T02:00:00+08:00"), notLaterThan: date("2026-11-29T03:00:00+08:00"))
            == date("2026-11-29T02:00:00+08:00"))
    }

    @Test("latestSlot includes a slot exactly at now and answers nil when no slot has come")
    func latestSlotBounds() {
        let minute = PeriodicSchedule.every(.seconds(60))
        let last = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(minute.latestSlot(after: last, notLaterThan: last.addingTimeInterval(60)) == last.addingTimeInterval(60))
        #expect(minute.latestSlot(after: last, notLaterThan: last.addingTimeInterval(59.9)) == nil)
        #expect(minute.latestSlot(after: last, notLaterThan: last) == nil)
    }

    @Test("a periodic job's unique key is its name, and an open run is kept rather than joined")
    func periodicJobKey() {
        let job = PeriodicJob(name: "sla-sweep", schedule: .every(.seconds(60)),
                              job: NewJob(kind: "sweep", uniqueKey: "mine", onDuplicate: .runNoLaterThan))
        #expect(job.job.uniqueKey == "periodic:sla-sweep")
        #expect(job.job.onDuplicate == .keepExisting)
        #expect(job.job.kind == "sweep")
    }
}
