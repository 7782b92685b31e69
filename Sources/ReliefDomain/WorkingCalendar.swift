import Foundation

/// A day on the wall calendar of the county (Asia/Shanghai), without a time.
public struct CivilDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        var components = DateComponents(year: year, month: month, day: day)
        components.calendar = WorkingCalendar.gregorian
        guard components.isValidDate(in: WorkingCalendar.gregorian) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// `2026-10-01`
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            return nil
        }
        self.init(year: year, month: month, day: day)
    }

    /// The day `date` falls on in Shanghai.
    public init(_ date: Date) {
        let parts = WorkingCalendar.gregorian.dateComponents([.year, .month, .day], from: date)
        year = parts.year!
        month = parts.month!
        day = parts.day!
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (lhs: CivilDay, rhs: CivilDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The instant `hour:minute` of this day in Shanghai.
    public func at(hour: Int, minute: Int = 0) -> Date {
        WorkingCalendar.gregorian.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    public func adding(days: Int) -> CivilDay {
        CivilDay(WorkingCalendar.gregorian.date(byAdding: .day, value: days, to: at(hour: 12))!)
    }

    /// Saturday or Sunday.
    public var isWeekend: Bool {
        let weekday = WorkingCalendar.gregorian.component(.weekday, from: at(hour: 12))
        return weekday == 1 || weekday == 7
    }
}

/// The county's working days (SLA, DESIGN.md): Monday to Friday, less public holidays, plus
/// the weekend days made working days to make up for them (调休), which no mainstream ticket
/// system models (reference/policy.md). Deadlines are counted in working days and end at the
/// end of the working day, in Asia/Shanghai.
public struct WorkingCalendar: Sendable, Equatable {
    static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar
    }()

    /// Days off that would otherwise be working days.
    public var holidays: Set<CivilDay>
    /// Weekend days that are working days.
    public var makeUpWorkdays: Set<CivilDay>
    /// Office hours, in minutes after midnight: 08:30–17:30 unless configured.
    public var opensAt: Int
    public var closesAt: Int

    public init(holidays: Set<CivilDay> = [], makeUpWorkdays: Set<CivilDay> = [], opensAt: Int = 8 * 60 + 30, closesAt: Int = 17 * 60 + 30) {
        precondition(opensAt < closesAt, "a working day opens before it closes")
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
        self.opensAt = opensAt
        self.closesAt = closesAt
    }

    public func isWorkingDay(_ day: CivilDay) -> Bool {
        if makeUpWorkdays.contains(day) { return true }
        if holidays.contains(day) { return false }
        return !day.isWeekend
    }

    /// The first working day on or after `day`.
    public func workingDay(onOrAfter day: CivilDay) -> CivilDay {
        var day = day
        // A year has no run of more than a few weeks without a working day; the bound only
        // guards against a calendar configured with every day off.
        for _ in 0..<400 where !isWorkingDay(day) { day = day.adding(days: 1) }
        return day
    }

    /// When the working day of `date` ends; on a day off, or after closing time, the end of
    /// the next working day (a same-day limit is never due before it began).
    public func endOfWorkingDay(containing date: Date) -> Date {
        let day = workingDay(onOrAfter: CivilDay(date))
        let end = closing(of: day)
        return date < end ? end : closing(of: workingDay(onOrAfter: day.adding(days: 1)))
    }

    /// The deadline `count` working days after `start`: the end of the `count`-th working day
    /// after the day of `start` (that day itself not counted, as a limit of "5 working days"
    /// from an application is read). Zero gives the end of the current working day.
    public func adding(workingDays count: Int, to start: Date) -> Date {
        precondition(count >= 0, "working days to add cannot be negative")
        var day = CivilDay(start)
        if count == 0 { return endOfWorkingDay(containing: start) }
        var added = 0
        while added < count {
            day = workingDay(onOrAfter: day.adding(days: 1))
            added += 1
        }
        return closing(of: day)
    }

    /// Office time left between `now` and `deadline`: only the hours of working days count, so
    /// a weekend or holiday in between costs nothing. Zero once the deadline has passed.
    public func workingTimeRemaining(from now: Date, until deadline: Date) -> Duration {
        guard deadline > now else { return .zero }
        var total: TimeInterval = 0
        var day = CivilDay(now)
        let last = CivilDay(deadline)
        while day <= last {
            if isWorkingDay(day) {
                let from = max(now, opening(of: day))
                let to = min(deadline, closing(of: day))
                if to > from { total += to.timeIntervalSince(from) }
            }
            day = day.adding(days: 1)
        }
        return .milliseconds(Int64((total * 1000).rounded()))
    }

    /// The instant when `amount` of office time has passed after `start` (weekends, holidays
    /// and nights cost nothing): where a warning at a fraction of a limit falls, and how far a
    /// deadline moves after a pause.
    public func adding(workingTime amount: Duration, to start: Date) -> Date {
        var left = Double(amount.components.seconds) + Double(amount.components.attoseconds) / 1e18
        var day = CivilDay(start)
        for _ in 0..<3660 {
            if isWorkingDay(day) {
                let from = max(start, opening(of: day))
                let to = closing(of: day)
                if to > from {
                    let available = to.timeIntervalSince(from)
                    // Office time is counted to the millisecond (`workingTimeRemaining`): an
                    // amount that ends within that of a day's close, either side, ends at the
                    // close. Spilling over would give the next morning's opening, the same office
                    // time but another day on the applicant's notice; an instant a millisecond
                    // into a morning is the same office time as the evening before, too.
                    if abs(left - available) < Self.precision { return to }
                    if left <= available { return from.addingTimeInterval(left) }
                    left -= available
                }
            }
            day = day.adding(days: 1)
        }
        return start.addingTimeInterval(left)
    }

    /// `time`, counted again on `newer`: as much office time after `start` as it is on this
    /// calendar. A deadline counted before a year's holidays were published keeps its length
    /// in working time, not its date.
    public func recount(_ time: Date, after start: Date, on newer: WorkingCalendar) -> Date {
        guard time > start else { return time }
        return newer.adding(workingTime: workingTimeRemaining(from: start, until: time), to: start)
    }

    /// This calendar with `year`'s special days replaced by `holidays` and `makeUpWorkdays`.
    public func replacing(year: Int, holidays: Set<CivilDay>, makeUpWorkdays: Set<CivilDay>) -> WorkingCalendar {
        var calendar = self
        calendar.holidays = self.holidays.filter { $0.year != year }.union(holidays.filter { $0.year == year })
        calendar.makeUpWorkdays = self.makeUpWorkdays.filter { $0.year != year }.union(makeUpWorkdays.filter { $0.year == year })
        return calendar
    }

    /// How finely office time is counted: `workingTimeRemaining` rounds to it.
    static let precision: TimeInterval = 0.001

    public func opening(of day: CivilDay) -> Date { day.at(hour: opensAt / 60, minute: opensAt % 60) }
    public func closing(of day: CivilDay) -> Date { day.at(hour: closesAt / 60, minute: closesAt % 60) }
}
