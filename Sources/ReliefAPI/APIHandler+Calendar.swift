import Foundation
import ReliefDomain
import ReliefStore

/// The county's working-day calendar, which SLA deadlines are counted on.
extension APIHandler {
    private var calendars: Calendars { Calendars(store: store) }

    func getCalendar(_ input: Operations.GetCalendar.Input) async throws -> Operations.GetCalendar.Output {
        let days = try await calendars.days(try signedIn(), year: input.path.year)
        return .ok(.init(body: .json(Self.schema(year: input.path.year, days))))
    }

    func replaceCalendar(_ input: Operations.ReplaceCalendar.Input) async throws -> Operations.ReplaceCalendar.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let days = try body.days.map { day in
            guard let date = CivilDay(day.date) else { throw Problem.invalid("\(day.date) 不是有效日期（YYYY-MM-DD）") }
            return Calendars.Day(day: date, kind: day.kind == .holiday ? .holiday : .workday, name: day.name)
        }
        let kept = try await calendars.replaceYear(context, year: input.path.year, days: days)
        return .ok(.init(body: .json(Self.schema(year: input.path.year, kept))))
    }

    static func schema(year: Int, _ days: [Calendars.Day]) -> Components.Schemas.CalendarYear {
        .init(year: year, days: days.map { .init(date: $0.day.description, kind: $0.kind == .holiday ? .holiday : .workday, name: $0.name) })
    }
}
