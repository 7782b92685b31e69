import Foundation

/// When a periodic job falls due: every fixed interval (aligned to the epoch, so all runners
/// agree on the slots) or by a five-field cron expression in a time zone.
public enum PeriodicSchedule: Sendable, Equatable {
    case every(Duration)
    case cron(CronExpression)

    /// The first slot strictly after `date`.
    public func nextSlot(after date: Date) -> Date {
        switch self {
        case .every(let interval):
            let step = max(interval.seconds, 1)
            return Date(timeIntervalSince1970: (floor(date.timeIntervalSince1970 / step) + 1) * step)
        case .cron(let expression):
            return expression.nextSlot(after: date)
        }
    }

    /// The latest slot in (`after`, `now`], if any: after a pause only the latest is run,
    /// never a burst of missed ones.
    public func latestSlot(after: Date, notLaterThan now: Date) -> Date? {
        var slot = nextSlot(after: after)
        guard slot <= now else { return nil }
        while true {
            let next = nextSlot(after: slot)
            if next > now { return slot }
            slot = next
        }
    }
}

/// `minute hour day-of-month month day-of-week`, each `*`, `n`, `a-b`, a list of those, and
/// `/step`; day-of-week 0 or 7 is Sunday. When both day fields are restricted, either matches
/// (as cron does).
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    let timeZone: TimeZone

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String, timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai")!) throws {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { throw Invalid(description: "a cron expression has five fields: \(text)") }
        minutes = try Self.parse(fields[0], 0...59)
        hours = try Self.parse(fields[1], 0...23)
        daysOfMonth = try Self.parse(fields[2], 1...31)
        months = try Self.parse(fields[3], 1...12)
        daysOfWeek = Set(try Self.parse(fields[4], 0...7).map { $0 % 7 })
        dayOfMonthRestricted = fields[2] != "*"
        dayOfWeekRestricted = fields[4] != "*"
        self.timeZone = timeZone
        description = text
    }

    private static func parse(_ field: String, _ range: ClosedRange<Int>) throws -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw Invalid(description: "bad cron field \(field)") }
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { throw Invalid(description: "bad step in cron field \(field)") }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard bounds.count <= 2, let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                      low <= high, range.contains(low), range.contains(high)
                else { throw Invalid(description: "cron field \(field) is outside \(range)") }
                span = low...high
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        let byMonth = daysOfMonth.contains(day)
        let byWeek = daysOfWeek.contains(weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return byMonth || byWeek }
        return byMonth && byWeek
    }

    public func nextSlot(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateInterval(of: .minute, for: date)!.start
        var candidate = calendar.date(byAdding: .minute, value: 1, to: start)!
        // Skips whole months, days and hours that cannot match; five years bound the search.
        let limit = calendar.date(byAdding: .year, value: 5, to: date)!
        while candidate < limit {
            let parts = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: candidate)
            if !months.contains(parts.month!) {
                let month = calendar.dateInterval(of: .month, for: candidate)!
                candidate = month.end
            } else if !dayMatches(day: parts.day!, weekday: parts.weekday! - 1) {
                candidate = calendar.dateInterval(of: .day, for: candidate)!.end
            } else if !hours.contains(parts.hour!) {
                candidate = calendar.dateInterval(of: .hour, for: candidate)!.end
            } else if !minutes.contains(parts.minute!) {
                candidate = calendar.date(byAdding: .minute, value: 1, to: candidate)!
            } else {
                return candidate
            }
        }
        return .distantFuture
    }
}

/// A job enqueued on a schedule by the leading runner.
public struct PeriodicJob: Sendable {
    public let name: String
    public let schedule: PeriodicSchedule
    public let job: NewJob

    /// `job` is enqueued once per slot, with its unique key set to the name so a slow run is
    /// not joined by a second one.
    public init(name: String, schedule: PeriodicSchedule, job: NewJob) {
        self.name = name
        self.schedule = schedule
        var job = job
        job.uniqueKey = "periodic:\(name)"
        job.onDuplicate = .keepExisting
        self.job = job
    }
}
