import Foundation
import Postgres
import ReliefDomain

/// Each county's working-day calendar: holidays on weekdays and make-up working days on
/// weekends (调休). Center managers keep it, a day at a time or a whole year's list at once,
/// as the State Council publishes it each year.
public struct Calendars: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public enum Kind: String, Sendable, CaseIterable {
        case holiday, workday
    }

    public struct Day: Sendable, Equatable {
        public let day: CivilDay
        public let kind: Kind
        public let name: String

        public init(day: CivilDay, kind: Kind, name: String) {
            self.day = day
            self.kind = kind
            self.name = name
        }
    }

    /// The county's special days of `year`, in order.
    public func days(_ context: TenantContext, year: Int) async throws -> [Day] {
        guard (2000...2100).contains(year) else { throw StoreFailure.invalid("年份应在2000–2100之间") }
        return try await store.withTenant(context, readOnly: true) { transaction in
            try await Self.days(in: transaction, from: "\(year)-01-01", to: "\(year)-12-31")
        }
    }

    /// The calendar deadlines are counted on.
    public func workingCalendar(in transaction: TenantTransaction) async throws -> WorkingCalendar {
        let days = try await Self.days(in: transaction, from: "2000-01-01", to: "2100-12-31")
        return WorkingCalendar(holidays: Set(days.filter { $0.kind == .holiday }.map(\.day)),
                               makeUpWorkdays: Set(days.filter { $0.kind == .workday }.map(\.day)))
    }

    /// Replaces the special days of `year` with `days`, all or nothing.
    public func replaceYear(_ context: TenantContext, year: Int, days: [Day]) async throws -> [Day] {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以维护工作日历。")
        guard (2000...2100).contains(year) else { throw StoreFailure.invalid("年份应在2000–2100之间") }
        guard days.count <= 120 else { throw StoreFailure.invalid("一年的特殊日期不能超过120天") }
        var seen = Set<CivilDay>()
        for day in days {
            guard day.day.year == year else { throw StoreFailure.invalid("\(day.day) 不在 \(year) 年内") }
            guard seen.insert(day.day).inserted else { throw StoreFailure.invalid("\(day.day) 重复") }
            guard (1...50).contains(day.name.trimmingCharacters(in: .whitespaces).count) else {
                throw StoreFailure.invalid("\(day.day) 的名称应为1–50个字符")
            }
            switch day.kind {
            case .holiday where day.day.isWeekend:
                throw StoreFailure.invalid("\(day.day) 是周末，本就休息，不必列为节假日")
            case .workday where !day.day.isWeekend:
                throw StoreFailure.invalid("\(day.day) 是工作日，调休上班日应为周末")
            default:
                break
            }
        }
        return try await store.withTenant(context) { transaction in
            // One import of a county's year at a time: two at once would each delete what was
            // there and leave both lists mixed, which neither manager sent.
            try await transaction.execute("""
                SELECT pg_advisory_xact_lock(4013, hashtext(\(context.countyID.uuidString) || ':' || \(String(year))))
                """)
            let previous = try await Self.days(in: transaction, from: "\(year)-01-01", to: "\(year)-12-31")
            try await transaction.execute("""
                DELETE FROM calendar_days WHERE day BETWEEN \(CalendarDate(year: year, month: 1, day: 1)!)
                                                        AND \(CalendarDate(year: year, month: 12, day: 31)!)
                """)
            for day in days {
                try await transaction.execute("""
                    INSERT INTO calendar_days (county_id, day, kind, name, updated_by)
                    VALUES (\(context.countyID), \(Self.date(day.day)), \(day.kind.rawValue)::calendar_day_kind,
                            \(day.name.trimmingCharacters(in: .whitespaces)), \(context.userID))
                    """)
            }
            try await transaction.audit("calendar_replaced", objectType: "calendar", objectID: String(year),
                                        detail: ["days": String(days.count)])
            // Open deadlines counted on the old list are counted again on the new one.
            func kinds(_ list: [Day]) -> [CivilDay: Kind] { Dictionary(list.map { ($0.day, $0.kind) }, uniquingKeysWith: { first, _ in first }) }
            if kinds(previous) != kinds(days) {
                try await ServiceLevels.requestRecount(countyID: context.countyID, year: year, previous: previous, in: transaction)
            }
            return try await Self.days(in: transaction, from: "\(year)-01-01", to: "\(year)-12-31")
        }
    }

    private static func days(in transaction: TenantTransaction, from: String, to: String) async throws -> [Day] {
        try await transaction.query("""
            SELECT day, kind::text, name FROM calendar_days
            WHERE day BETWEEN \(CalendarDate(from)!) AND \(CalendarDate(to)!) ORDER BY day
            """).decode((CalendarDate, String, String).self).compactMap { row in
            guard let day = CivilDay(year: row.0.year, month: row.0.month, day: row.0.day), let kind = Kind(rawValue: row.1) else {
                return nil
            }
            return Day(day: day, kind: kind, name: row.2)
        }
    }

    private static func date(_ day: CivilDay) -> CalendarDate {
        CalendarDate(year: day.year, month: day.month, day: day.day)!
    }
}
