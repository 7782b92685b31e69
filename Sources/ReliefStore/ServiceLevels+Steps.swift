import Foundation
import Postgres
import ReliefDomain

extension ServiceLevels {
    /// What one timer run did.
    public struct Fired: Sendable, Equatable {
        public let steps: [SLAStep]
        /// When the deadline's next step falls due; nil when it has none left (or has ended).
        public let next: Date?
    }

    /// Takes the deadline's steps that have come due and not been taken — warning, due,
    /// escalation, in that order — under the deadline's row lock, each with its marker and its
    /// effects in this one transaction: two runners, or a run repeated after a crash, find
    /// the marker set and do nothing again.
    public func fire(countyID: UUID, deadlineID: UUID) async throws -> Fired {
        try await store.withJobRunner(countyID: countyID) { transaction in
            // Ended, or waiting for the applicant: no step now, and the timer is set again when
            // the wait ends.
            guard let deadline = try await LockedDeadline.lock(deadlineID, in: transaction), deadline.endedAt == nil,
                  !deadline.paused else {
                return Fired(steps: [], next: nil)
            }
            let now = try await transaction.query("SELECT now()").scalar(Date.self) ?? Date()
            let steps = deadline.schedule.stepsDue(at: now, taken: deadline.taken)
            for step in steps {
                try await take(step, of: deadline, now: now, in: transaction)
            }
            return Fired(steps: steps, next: deadline.schedule.nextStepTime(taken: deadline.taken.union(steps)))
        }
    }

    private func take(_ step: SLAStep, of deadline: LockedDeadline, now: Date, in transaction: TenantTransaction) async throws {
        let marker = switch step {
        case .warning: "warned_at"
        case .due: "due_notified_at"
        case .escalation: "escalated_at"
        }
        try await transaction.execute("UPDATE sla_deadlines SET \(identifier: marker) = now() WHERE id = \(deadline.id)")
        let due = Self.shanghai(deadline.schedule.dueAt)
        let stage = deadline.stage.title
        let late = Int64(max(0, now.timeIntervalSince(deadline.schedule.time(of: step))) * 1000)
        switch step {
        case .warning:
            try await notify(deadline, step, role: deadline.stage.responsibleRole,
                             text: "预警：案件\(deadline.caseNumber)的「\(stage)」将于\(due)到期，请抓紧办理。", in: transaction)
        case .due:
            try await notify(deadline, step, role: deadline.stage.responsibleRole,
                             text: "到期：案件\(deadline.caseNumber)的「\(stage)」已于\(due)到期，尚未完成。", in: transaction)
        case .escalation:
            try await transaction.execute("""
                INSERT INTO escalations (county_id, case_id, deadline_id, stage, department_id, due_at)
                VALUES (current_setting('app.county_id')::uuid, \(deadline.caseID), \(deadline.id), \(deadline.stage.rawValue)::sla_stage,
                        \(deadline.departmentID), \(deadline.schedule.dueAt))
                """)
            try await notify(deadline, step, role: .jointOffice,
                             text: "督办：案件\(deadline.caseNumber)的「\(stage)」已超过期限（\(due)），已列入督办清单。", in: transaction)
        }
        try await CaseTimeline.append(
            in: transaction, caseID: deadline.caseID, action: Self.action(step), from: nil, to: nil,
            actor: .init(userID: nil, label: "系统"), reason: nil, visibleToApplicant: false,
            detail: ["stage": deadline.stage.rawValue, "due_at": due, "deadline": deadline.id.uuidString.lowercased(),
                     "late_ms": String(late)])
    }

    private func notify(_ deadline: LockedDeadline, _ step: SLAStep, role: Role, text: String,
                        in transaction: TenantTransaction) async throws {
        let department = role == .departmentManager ? deadline.departmentID : nil
        try await transaction.execute("""
            INSERT INTO staff_notices (county_id, case_id, deadline_id, step, recipient_role, recipient_department_id, text)
            VALUES (current_setting('app.county_id')::uuid, \(deadline.caseID), \(deadline.id), \(step.rawValue)::sla_step,
                    \(role.rawValue)::app_role, \(department), \(text))
            """)
    }

    static func action(_ step: SLAStep) -> String {
        switch step {
        case .warning: "sla_warning"
        case .due: "sla_overdue"
        case .escalation: "sla_escalated"
        }
    }

    static func shanghai(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

/// A deadline under its row lock, with the steps already taken.
struct LockedDeadline {
    let id: UUID
    let caseID: UUID
    let caseNumber: String
    let stage: SLAStage
    let departmentID: UUID?
    let schedule: SLASchedule
    let taken: Set<SLAStep>
    let endedAt: Date?
    let paused: Bool

    static func lock(_ id: UUID, in transaction: TenantTransaction) async throws -> LockedDeadline? {
        guard let row = try await transaction.query("""
            SELECT d.case_id, c.case_number, d.stage::text, d.department_id, d.warn_at, d.due_at, d.escalate_at,
                   d.warned_at IS NOT NULL, d.due_notified_at IS NOT NULL, d.escalated_at IS NOT NULL, d.ended_at,
                   d.paused_at IS NOT NULL
            FROM sla_deadlines d JOIN cases c ON c.county_id = d.county_id AND c.id = d.case_id
            WHERE d.id = \(id)
            FOR UPDATE OF d
            """).decode((UUID, String?, String, UUID?, Date, Date, Date, Bool, Bool, Bool, Date?, Bool).self).first,
            let stage = SLAStage(rawValue: row.2) else { return nil }
        let taken = SLAStep.taken(warned: row.7, due: row.8, escalated: row.9)
        return LockedDeadline(id: id, caseID: row.0, caseNumber: row.1 ?? "", stage: stage, departmentID: row.3,
                              schedule: SLASchedule(warnAt: row.4, dueAt: row.5, escalateAt: row.6), taken: taken, endedAt: row.10,
                              paused: row.11)
    }
}
