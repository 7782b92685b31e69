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
        /// Waiting for the applicant since then (补正), and office time waited before.
        var pausedSince: Date? = nil
        var pausedSeconds: Double = 0

        /// As the stage's policy counts it: without pauses where the policy has none.
        func counted(by policy: SLAPolicy) -> WantedDeadline {
            guard !policy.pausesForApplicant else { return self }
            var wanted = self
            wanted.pausedSince = nil
            wanted.pausedSeconds = 0
            return wanted
        }

        func schedule(_ policy: SLAPolicy, green: Bool, itemLimitDays: Int, calendar: WorkingCalendar) -> SLASchedule {
            SLASchedule(start: start, policy: policy, green: green, itemLimitWorkingDays: itemLimitDays,
                        extensionWorkingDays: extensionWorkingDays, pausedTime: .milliseconds(Int64(pausedSeconds * 1000)),
                        calendar: calendar)
        }
    }

    /// Opens and ends the case's deadlines to match its stages; answers how many it opened.
    @discardableResult
    public func sync(countyID: UUID, caseID: UUID) async throws -> Int {
        try await store.withJobRunner(countyID: countyID) { transaction in
            guard let snapshot = try await CaseSnapshot.read(in: transaction, caseID: caseID) else { return 0 }
            let policies = try await Self.policies(in: transaction)
            let wanted = snapshot.wantedDeadlines().map { $0.counted(by: Self.policy($0.stage, in: policies)) }
            let open = try await OpenDeadline.all(in: transaction, caseID: caseID)
            var ended: [(UUID, String)] = []
            var carried: [Int: OpenDeadline] = [:]
            var adjusted: [(OpenDeadline, WantedDeadline)] = []
            for deadline in open {
                if let index = wanted.firstIndex(where: { deadline.matches($0) }) {
                    if deadline.extensionWorkingDays != wanted[index].extensionWorkingDays {
                        carried[index] = deadline
                        ended.append((deadline.id, "extended"))
                    } else if deadline.pauseDiffers(from: wanted[index]) {
                        adjusted.append((deadline, wanted[index]))
                    }
                } else {
                    // A stage left by a decision — dispatch, rejection, an outcome, the summary — is
                    // met; only a withdrawn application ends its deadlines without one.
                    ended.append((deadline.id, snapshot.status == .withdrawn ? "closed" : "met"))
                }
            }
            for (id, reason) in ended {
                try await transaction.execute("""
                    UPDATE sla_deadlines SET ended_at = now(), end_reason = \(reason) WHERE id = \(id)
                    """)
                try await transaction.execute("""
                    UPDATE escalations SET resolved_at = now() WHERE deadline_id = \(id) AND resolved_at IS NULL AND \(reason) <> 'extended'
                    """)
                // Its timer has nothing left to do: not left waiting, counted as pending work.
                try await JobAdministration.cancelWaiting(uniqueKey: Self.timerKey(id), on: transaction.connection)
            }
            let calendar = try await Calendars(store: store).workingCalendar(in: transaction)
            for (deadline, want) in adjusted {
                let policy = Self.policy(want.stage, in: policies)
                try await adjust(deadline, to: want.schedule(policy, green: snapshot.green, itemLimitDays: snapshot.itemLimitDays, calendar: calendar),
                                 pausedSince: want.pausedSince, pausedSeconds: want.pausedSeconds, green: snapshot.green, in: transaction)
            }
            var opened = 0
            for (index, want) in wanted.enumerated() where carried[index] != nil || !open.contains(where: { $0.matches(want) }) {
                let policy = Self.policy(want.stage, in: policies)
                let schedule = want.schedule(policy, green: snapshot.green, itemLimitDays: snapshot.itemLimitDays, calendar: calendar)
                try await openDeadline(want, caseID: caseID, schedule: schedule, green: snapshot.green, carrying: carried[index], in: transaction)
                opened += 1
            }
            try await Self.publishDueDates(caseID: caseID, in: transaction)
            return opened
        }
    }

    /// The due dates staff and applicants read follow the deadlines, counted in working days,
    /// green channel and extensions included: an assignment's is its open deadline's, the
    /// case's the latest of its open deadlines'. Until the first sync they hold the estimate
    /// the workflow wrote; a case without open deadlines keeps what the workflow left.
    static func publishDueDates(caseID: UUID, in transaction: TenantTransaction) async throws {
        try await transaction.execute("""
            UPDATE case_assignments a SET due_at = open.due_at
            FROM (SELECT assignment_id, max(due_at) AS due_at FROM sla_deadlines
                  WHERE case_id = \(caseID) AND ended_at IS NULL AND assignment_id IS NOT NULL GROUP BY assignment_id) open
            WHERE a.id = open.assignment_id AND a.due_at IS DISTINCT FROM open.due_at
            """)
        try await transaction.execute("""
            UPDATE cases c SET due_at = open.due_at
            FROM (SELECT max(due_at) AS due_at FROM sla_deadlines WHERE case_id = \(caseID) AND ended_at IS NULL) open
            WHERE c.id = \(caseID) AND open.due_at IS NOT NULL AND c.due_at IS DISTINCT FROM open.due_at
            """)
    }

    /// A wait for the applicant began or ended: the same deadline, its steps kept, its times
    /// moved by the office time waited; no timer runs while it waits.
    private func adjust(_ deadline: OpenDeadline, to schedule: SLASchedule, pausedSince: Date?, pausedSeconds: Double, green: Bool,
                        in transaction: TenantTransaction) async throws {
        let countyID = try await transaction.query("""
            UPDATE sla_deadlines SET paused_at = \(pausedSince), paused_seconds = \(pausedSeconds),
                   warn_at = \(schedule.warnAt), due_at = \(schedule.dueAt), escalate_at = \(schedule.escalateAt)
            WHERE id = \(deadline.id)
            RETURNING county_id
            """).scalar(UUID.self)!
        guard pausedSince == nil else { return }
        try await Self.scheduleTimer(countyID: countyID, deadlineID: deadline.id, at: schedule.nextStepTime(taken: deadline.taken),
                                     green: green, in: transaction)
    }

    private func openDeadline(_ want: WantedDeadline, caseID: UUID, schedule: SLASchedule, green: Bool, carrying old: OpenDeadline?,
                      in transaction: TenantTransaction) async throws {
        // An extension replaces the deadline; a warning already given stays given when the new
        // one's warning time has passed too, so nobody is warned twice about the same stage.
        let warnedAt = schedule.warnAt <= Date() ? old?.warnedAt : nil
        let (countyID, id) = try await transaction.query("""
            INSERT INTO sla_deadlines (county_id, case_id, assignment_id, department_id, stage, green, started_at,
                                       warn_at, due_at, escalate_at, extension_working_days, warned_at, paused_at, paused_seconds)
            VALUES (current_setting('app.county_id')::uuid, \(caseID), \(want.assignmentID), \(want.departmentID),
                    \(want.stage.rawValue)::sla_stage, \(green), \(want.start), \(schedule.warnAt), \(schedule.dueAt),
                    \(schedule.escalateAt), \(Int32(want.extensionWorkingDays)), \(warnedAt), \(want.pausedSince), \(want.pausedSeconds))
            RETURNING county_id, id
            """).decode((UUID, UUID).self)[0]
        let taken: Set<SLAStep> = warnedAt == nil ? [] : [.warning]
        guard want.pausedSince == nil else { return }
        try await Self.scheduleTimer(countyID: countyID, deadlineID: id, at: schedule.nextStepTime(taken: taken),
                                     green: green, in: transaction)
    }

    /// The unique key of a deadline's timer job.
    static func timerKey(_ deadlineID: UUID) -> String { "sla.timer:\(deadlineID.uuidString.lowercased())" }

    /// Schedules the deadline's timer for its next step (or brings a scheduled one forward).
    static func scheduleTimer(countyID: UUID, deadlineID: UUID, at time: Date?, green: Bool,
                              in transaction: TenantTransaction) async throws {
        guard let time else { return }
        let job = try NewJob(kind: timerKind, payload: TimerPayload(countyID: countyID, deadlineID: deadlineID),
                             queue: queue, priority: green ? 1 : 4, runAt: time, uniqueKey: timerKey(deadlineID),
                             onDuplicate: .runNoLaterThan, tenant: countyID)
        try await JobQueue.enqueue(job, on: transaction.connection)
    }

    /// The county's policy for `stage`, or the standard one.
    static func policy(_ stage: SLAStage, in policies: [SLAStage: SLAPolicy]) -> SLAPolicy {
        policies[stage] ?? .standard(stage)
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
    let awaitingApplicantSince: Date?
    let applicantWaitSeconds: Double
    /// The joint office has decided (the case waits in joint_review for the center to act).
    let jointDecided: Bool
    let assignments: [Assignment]

    struct Assignment {
        let id: UUID
        let departmentID: UUID
        let status: AssignmentStatus
        let assignedAt: Date
        let signedAt: Date?
        let extensionWorkingDays: Int
        let awaitingApplicantSince: Date?
        let applicantWaitSeconds: Double
    }

    static func read(in transaction: TenantTransaction, caseID: UUID) async throws -> CaseSnapshot? {
        guard let row = try await transaction.query("""
            SELECT c.status::text, c.green_channel, coalesce(v.time_limit_days, 15),
                   coalesce((SELECT max(e.at) FROM case_events e
                             WHERE e.county_id = c.county_id AND e.case_id = c.id AND e.to_status = c.status
                               -- Only events that moved the case: a decision or a wait leaves the stage's clock alone.
                               AND e.from_status IS DISTINCT FROM e.to_status), c.created_at),
                   c.awaiting_applicant_since, c.applicant_wait_seconds, c.joint_decided_at IS NOT NULL
            FROM cases c
            LEFT JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
            WHERE c.id = \(caseID)
            """).decode((String, Bool, Int32, Date, Date?, Double, Bool).self).first,
            let status = CaseStatus(rawValue: row.0) else { return nil }
        let assignments = try await transaction.query("""
            SELECT a.id, a.department_id, a.status::text, a.assigned_at, a.signed_at,
                   -- Extensions of this round only: a department dispatched again (a reopened case)
                   -- starts without the time granted to its earlier round.
                   coalesce((SELECT sum(x.days) FROM case_extensions x
                             WHERE x.county_id = a.county_id AND x.assignment_id = a.id AND x.status = 'approved'
                               AND x.decided_at >= a.assigned_at), 0)::int4,
                   a.awaiting_applicant_since, a.applicant_wait_seconds
            FROM case_assignments a
            WHERE a.case_id = \(caseID) AND a.superseded_at IS NULL
            """).decode((UUID, UUID, String, Date, Date?, Int32, Date?, Double).self).compactMap { row -> Assignment? in
                guard let status = AssignmentStatus(rawValue: row.2) else { return nil }
                return Assignment(id: row.0, departmentID: row.1, status: status, assignedAt: row.3, signedAt: row.4,
                                  extensionWorkingDays: Int(row.5), awaitingApplicantSince: row.6, applicantWaitSeconds: row.7)
            }
        return CaseSnapshot(status: status, green: row.1, itemLimitDays: Int(row.2), enteredStatusAt: row.3,
                            awaitingApplicantSince: row.4, applicantWaitSeconds: row.5, jointDecided: row.6, assignments: assignments)
    }

    /// The stages the case is in now, each with its start and who answers for it.
    func wantedDeadlines() -> [ServiceLevels.WantedDeadline] {
        func whole(_ stage: SLAStage) -> [ServiceLevels.WantedDeadline] {
            [.init(stage: stage, assignmentID: nil, departmentID: nil, start: enteredStatusAt, extensionWorkingDays: 0)]
        }
        switch status {
        case .submitted:
            return [.init(stage: .acceptance, assignmentID: nil, departmentID: nil, start: enteredStatusAt, extensionWorkingDays: 0,
                          pausedSince: awaitingApplicantSince, pausedSeconds: applicantWaitSeconds)]
        // The office's review ends with its decision; the center then acts on it.
        case .jointReview: return jointDecided ? [] : whole(.jointReview)
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
                                 extensionWorkingDays: assignment.extensionWorkingDays,
                                 pausedSince: assignment.awaitingApplicantSince, pausedSeconds: assignment.applicantWaitSeconds)
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
    let taken: Set<SLAStep>
    let pausedAt: Date?
    let pausedSeconds: Double

    static func all(in transaction: TenantTransaction, caseID: UUID) async throws -> [OpenDeadline] {
        try await transaction.query("""
            SELECT id, stage::text, assignment_id, started_at, extension_working_days, warned_at,
                   due_notified_at IS NOT NULL, escalated_at IS NOT NULL, paused_at, paused_seconds
            FROM sla_deadlines WHERE case_id = \(caseID) AND ended_at IS NULL
            FOR UPDATE
            """).decode((UUID, String, UUID?, Date, Int32, Date?, Bool, Bool, Date?, Double).self).compactMap { row in
                SLAStage(rawValue: row.1).map {
                    OpenDeadline(id: row.0, stage: $0, assignmentID: row.2, startedAt: row.3, extensionWorkingDays: Int(row.4),
                                 warnedAt: row.5, taken: SLAStep.taken(warned: row.5 != nil, due: row.6, escalated: row.7),
                                 pausedAt: row.8, pausedSeconds: row.9)
                }
            }
    }

    /// A wait for the applicant began or ended, or more office time was waited.
    func pauseDiffers(from wanted: ServiceLevels.WantedDeadline) -> Bool {
        (pausedAt == nil) != (wanted.pausedSince == nil) || abs(pausedSeconds - wanted.pausedSeconds) >= 1
    }

    /// The same stage of the same assignment, begun at the same time (timestamps compared to
    /// the millisecond: the database keeps microseconds, Date a Double).
    func matches(_ wanted: ServiceLevels.WantedDeadline) -> Bool {
        stage == wanted.stage && assignmentID == wanted.assignmentID
            && abs(startedAt.timeIntervalSince(wanted.start)) < 0.001
    }
}
