import Foundation
import JobQueue
import Postgres
import ReliefDomain

/// The job runner's side of service levels (SLA): deadlines that follow the case, and the
/// steps each deadline takes — warning, due, escalation — each exactly once.
///
/// `sync` opens a deadline for every stage the case is in and ends those it has left; it runs
/// as the `sla.sync` job that any change of a case's state enqueues in the change's own
/// transaction. `fire` takes the steps that have come due; it runs as the deadline's
/// `sla.timer` job, scheduled for the next step's time, so a timer costs one index look-up
/// however many cases are open.
public struct ServiceLevels: Sendable {
    public static let syncKind = "sla.sync"
    public static let timerKind = "sla.timer"
    public static let queue = "sla"

    public struct SyncPayload: Codable, Sendable {
        public let countyID: UUID
        public let caseID: UUID
    }

    public struct TimerPayload: Codable, Sendable {
        public let countyID: UUID
        public let deadlineID: UUID
    }

    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// What a stage of a case needs timing: when it began and who answers for it.
    struct WantedDeadline: Equatable {
        let stage: SLAStage
        let assignmentID: UUID?
        let departmentID: UUID?
        let start: Date
        let extensionWorkingDays: Int
    }

    /// Opens and ends the case's deadlines to match its stages; answers how many it opened.
    @discardableResult
    public func sync(countyID: UUID, caseID: UUID) async throws -> Int {
        try await store.withJobRunner(countyID: countyID) { transaction in
            guard let snapshot = try await CaseSnapshot.read(in: transaction, caseID: caseID) else { return 0 }
            let wanted = snapshot.wantedDeadlines()
            let open = try await OpenDeadline.all(in: transaction, caseID: caseID)
            var opened = 0
            var ended: [(UUID, String)] = []
            var carried: [Int: OpenDeadline] = [:]
            for deadline in open {
                if let index = wanted.firstIndex(where: { deadline.matches($0) }) {
                    if deadline.extensionWorkingDays == wanted[index].extensionWorkingDays { continue }
                    carried[index] = deadline
                    ended.append((deadline.id, "extended"))
                } else {
                    ended.append((deadline.id, snapshot.status.isOpen ? "met" : "closed"))
                }
            }
            for (id, reason) in ended {
                try await transaction.execute("""
                    UPDATE sla_deadlines SET ended_at = now(), end_reason = \(reason) WHERE id = \(id)
                    """)
                try await transaction.execute("""
                    UPDATE escalations SET resolved_at = now() WHERE deadline_id = \(id) AND resolved_at IS NULL AND \(reason) <> 'extended'
                    """)
            }
            let policies = try await Self.policies(in: transaction)
            let calendar = try await Calendars(store: store).workingCalendar(in: transaction)
            for (index, want) in wanted.enumerated() where carried[index] != nil || !open.contains(where: { $0.matches(want) }) {
                let policy = policies[want.stage] ?? .standard(want.stage)
                let schedule = SLASchedule(start: want.start, policy: policy, green: snapshot.green,
                                           itemLimitWorkingDays: snapshot.itemLimitDays,
                                           extensionWorkingDays: want.extensionWorkingDays, calendar: calendar)
                try await openDeadline(want, caseID: caseID, schedule: schedule, green: snapshot.green, carrying: carried[index], in: transaction)
                opened += 1
            }
            return opened
        }
    }

    private func openDeadline(_ want: WantedDeadline, caseID: UUID, schedule: SLASchedule, green: Bool, carrying old: OpenDeadline?,
                      in transaction: TenantTransaction) async throws {
        // An extension replaces the deadline; a warning already given stays given when the new
        // one's warning time has passed too, so nobody is warned twice about the same stage.
        let warnedAt = schedule.warnAt <= Date() ? old?.warnedAt : nil
        let (countyID, id) = try await transaction.query("""
            INSERT INTO sla_deadlines (county_id, case_id, assignment_id, department_id, stage, green, started_at,
                                       warn_at, due_at, escalate_at, extension_working_days, warned_at)
            VALUES (current_setting('app.county_id')::uuid, \(caseID), \(want.assignmentID), \(want.departmentID),
                    \(want.stage.rawValue)::sla_stage, \(green), \(want.start), \(schedule.warnAt), \(schedule.dueAt),
                    \(schedule.escalateAt), \(Int32(want.extensionWorkingDays)), \(warnedAt))
            RETURNING county_id, id
            """).decode((UUID, UUID).self)[0]
        let taken: Set<SLAStep> = warnedAt == nil ? [] : [.warning]
        try await Self.scheduleTimer(countyID: countyID, deadlineID: id, at: schedule.nextStepTime(taken: taken),
                                     green: green, in: transaction)
    }

    /// Schedules the deadline's timer for its next step (or brings a scheduled one forward).
    static func scheduleTimer(countyID: UUID, deadlineID: UUID, at time: Date?, green: Bool,
                              in transaction: TenantTransaction) async throws {
        guard let time else { return }
        let job = try NewJob(kind: timerKind, payload: TimerPayload(countyID: countyID, deadlineID: deadlineID),
                             queue: queue, priority: green ? 1 : 4, runAt: time, uniqueKey: "sla.timer:\(deadlineID)",
                             onDuplicate: .runNoLaterThan, tenant: countyID)
        try await JobQueue.enqueue(job, on: transaction.connection)
    }

    /// The county's policies that differ from the standard ones.
    static func policies(in transaction: TenantTransaction) async throws -> [SLAStage: SLAPolicy] {
        let rows = try await transaction.query("""
            SELECT stage::text, limit_working_days, green_limit_working_days, green_handling_percent, warn_at_fraction,
                   escalate_after_working_days, pauses_for_applicant
            FROM sla_policies
            """).decode((String, Int32?, Int32?, Int32, Double, Int32, Bool).self)
        var policies: [SLAStage: SLAPolicy] = [:]
        for row in rows {
            guard let stage = SLAStage(rawValue: row.0) else { continue }
            policies[stage] = SLAPolicy(stage: stage, limitWorkingDays: row.1.map(Int.init), greenLimitWorkingDays: row.2.map(Int.init),
                                        greenHandlingPercent: Int(row.3), warnAtFraction: row.4,
                                        escalateAfterWorkingDays: Int(row.5), pausesForApplicant: row.6)
        }
        return policies
    }
}

/// What `sync` reads of a case: its state, channel and item limit, and its live assignments.
struct CaseSnapshot {
    let status: CaseStatus
    let green: Bool
    let itemLimitDays: Int
    /// When the case entered its present state.
    let enteredStatusAt: Date
    let assignments: [Assignment]

    struct Assignment {
        let id: UUID
        let departmentID: UUID
        let status: AssignmentStatus
        let assignedAt: Date
        let signedAt: Date?
        let extensionWorkingDays: Int
    }

    static func read(in transaction: TenantTransaction, caseID: UUID) async throws -> CaseSnapshot? {
        guard let row = try await transaction.query("""
            SELECT c.status::text, c.green_channel, coalesce(v.time_limit_days, 15),
                   coalesce((SELECT max(e.at) FROM case_events e
                             WHERE e.county_id = c.county_id AND e.case_id = c.id AND e.to_status = c.status), c.created_at)
            FROM cases c
            LEFT JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
            WHERE c.id = \(caseID)
            """).decode((String, Bool, Int32, Date).self).first,
            let status = CaseStatus(rawValue: row.0) else { return nil }
        let assignments = try await transaction.query("""
            SELECT a.id, a.department_id, a.status::text, a.assigned_at, a.signed_at,
                   coalesce((SELECT sum(x.days) FROM case_extensions x
                             WHERE x.county_id = a.county_id AND x.assignment_id = a.id AND x.status = 'approved'), 0)::int4
            FROM case_assignments a
            WHERE a.case_id = \(caseID) AND a.superseded_at IS NULL
            """).decode((UUID, UUID, String, Date, Date?, Int32).self).compactMap { row -> Assignment? in
                guard let status = AssignmentStatus(rawValue: row.2) else { return nil }
                return Assignment(id: row.0, departmentID: row.1, status: status, assignedAt: row.3, signedAt: row.4,
                                  extensionWorkingDays: Int(row.5))
            }
        return CaseSnapshot(status: status, green: row.1, itemLimitDays: Int(row.2), enteredStatusAt: row.3, assignments: assignments)
    }

    /// The stages the case is in now, each with its start and who answers for it.
    func wantedDeadlines() -> [ServiceLevels.WantedDeadline] {
        func whole(_ stage: SLAStage) -> [ServiceLevels.WantedDeadline] {
            [.init(stage: stage, assignmentID: nil, departmentID: nil, start: enteredStatusAt, extensionWorkingDays: 0)]
        }
        switch status {
        case .submitted: return whole(.acceptance)
        case .jointReview: return whole(.jointReview)
        case .completed: return whole(.summary)
        case .dispatched, .inProgress:
            return assignments.compactMap { assignment in
                switch assignment.status {
                case .pending:
                    return .init(stage: .signing, assignmentID: assignment.id, departmentID: assignment.departmentID,
                                 start: assignment.assignedAt, extensionWorkingDays: 0)
                case .accepted:
                    return .init(stage: .handling, assignmentID: assignment.id, departmentID: assignment.departmentID,
                                 start: assignment.signedAt ?? assignment.assignedAt,
                                 extensionWorkingDays: assignment.extensionWorkingDays)
                case .returned, .done:
                    return nil
                }
            }
        case .rejected, .closed, .withdrawn:
            return []
        }
    }
}

/// A deadline not yet ended, as `sync` compares it with what the case needs.
struct OpenDeadline {
    let id: UUID
    let stage: SLAStage
    let assignmentID: UUID?
    let startedAt: Date
    let extensionWorkingDays: Int
    let warnedAt: Date?

    static func all(in transaction: TenantTransaction, caseID: UUID) async throws -> [OpenDeadline] {
        try await transaction.query("""
            SELECT id, stage::text, assignment_id, started_at, extension_working_days, warned_at
            FROM sla_deadlines WHERE case_id = \(caseID) AND ended_at IS NULL
            FOR UPDATE
            """).decode((UUID, String, UUID?, Date, Int32, Date?).self).compactMap { row in
                SLAStage(rawValue: row.1).map {
                    OpenDeadline(id: row.0, stage: $0, assignmentID: row.2, startedAt: row.3,
                                 extensionWorkingDays: Int(row.4), warnedAt: row.5)
                }
            }
    }

    /// The same stage of the same assignment, begun at the same time (timestamps compared to
    /// the millisecond: the database keeps microseconds, Date a Double).
    func matches(_ wanted: ServiceLevels.WantedDeadline) -> Bool {
        stage == wanted.stage && assignmentID == wanted.assignmentID
            && abs(startedAt.timeIntervalSince(wanted.start)) < 0.001
    }
}
