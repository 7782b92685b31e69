import Foundation
import JobQueue
import Postgres
import ReliefDomain

/// A year's holidays imported (or corrected) after deadlines running into that year were
/// counted: each open deadline keeps its length in office time and is counted again on the
/// calendar as it now stands, its timer moved with it. Without this, next year's Spring
/// Festival imported in December would count as working days for every deadline already open.
extension ServiceLevels {
    public static let recountKind = "sla.recount"

    public struct RecountPayload: Codable, Sendable {
        /// The import's recount, done once (sql/migrations/0027).
        public let id: UUID
        public let countyID: UUID
        public let year: Int
        /// The year's special days before the import: "2026-10-01" → "holiday" or "workday".
        public let previous: [String: String]
    }

    /// Asks the job runner to recount the county's open deadlines, in the import's transaction.
    static func requestRecount(countyID: UUID, year: Int, previous: [Calendars.Day], in transaction: TenantTransaction) async throws {
        let payload = RecountPayload(id: UUID(), countyID: countyID, year: year,
                                     previous: Dictionary(previous.map { ($0.day.description, $0.kind.rawValue) }, uniquingKeysWith: { a, _ in a }))
        try await JobQueue.enqueue(try NewJob(kind: recountKind, payload: payload, queue: queue, priority: 3, tenant: countyID),
                                   on: transaction.connection)
    }

    /// Counts the county's open deadlines touching `year` again; answers how many moved.
    @discardableResult
    public func recount(_ payload: RecountPayload) async throws -> Int {
        try await store.withJobRunner(countyID: payload.countyID) { transaction in
            let first = try await transaction.execute("""
                INSERT INTO calendar_recounts (county_id, id, year) VALUES (\(payload.countyID), \(payload.id), \(Int32(clamping: payload.year)))
                ON CONFLICT DO NOTHING
                """)
            guard first == 1 else { return 0 }  // done already, by a run whose job did not get to end
            let now = try await Calendars(store: store).workingCalendar(in: transaction)
            let previous = payload.previous.compactMap { day, kind in CivilDay(day).map { ($0, kind) } }
            let before = now.replacing(year: payload.year, holidays: Set(previous.filter { $0.1 == "holiday" }.map(\.0)),
                                       makeUpWorkdays: Set(previous.filter { $0.1 == "workday" }.map(\.0)))
            guard before != now else { return 0 }
            let yearStart = CivilDay(year: payload.year, month: 1, day: 1)!.at(hour: 0)
            let yearEnd = CivilDay(year: payload.year + 1, month: 1, day: 1)!.at(hour: 0)
            // Paused deadlines are counted again when their wait ends.
            let open = try await transaction.query("""
                SELECT id, case_id, green, started_at, warn_at, due_at, escalate_at,
                       warned_at IS NOT NULL, due_notified_at IS NOT NULL, escalated_at IS NOT NULL
                FROM sla_deadlines
                WHERE ended_at IS NULL AND paused_at IS NULL AND escalate_at >= \(yearStart) AND started_at < \(yearEnd)
                FOR UPDATE
                """).decode((UUID, UUID, Bool, Date, Date, Date, Date, Bool, Bool, Bool).self)
            var cases: Set<UUID> = []
            var moved = 0
            for (id, caseID, green, start, warnAt, dueAt, escalateAt, warned, dueNotified, escalated) in open {
                let schedule = SLASchedule(warnAt: before.recount(warnAt, after: start, on: now),
                                           dueAt: before.recount(dueAt, after: start, on: now),
                                           escalateAt: before.recount(escalateAt, after: start, on: now))
                guard schedule != SLASchedule(warnAt: warnAt, dueAt: dueAt, escalateAt: escalateAt) else { continue }
                try await transaction.execute("""
                    UPDATE sla_deadlines SET warn_at = \(schedule.warnAt), due_at = \(schedule.dueAt), escalate_at = \(schedule.escalateAt)
                    WHERE id = \(id)
                    """)
                // A timer set for the old time fires, finds nothing due yet, and waits for the new one.
                try await Self.scheduleTimer(countyID: payload.countyID, deadlineID: id,
                                             at: schedule.nextStepTime(taken: SLAStep.taken(warned: warned, due: dueNotified, escalated: escalated)),
                                             green: green, in: transaction)
                cases.insert(caseID)
                moved += 1
            }
            for caseID in cases { try await Self.publishDueDates(caseID: caseID, in: transaction) }
            try await transaction.execute("""
                UPDATE calendar_recounts SET moved = \(Int32(clamping: moved)) WHERE id = \(payload.id)
                """)
            return moved
        }
    }
}
