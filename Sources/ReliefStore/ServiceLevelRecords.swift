import Foundation
import Postgres
import ReliefDomain

/// What staff read and set of service levels: the county's policies, a case's deadlines, the
/// joint office's escalation list and the notices addressed to them.
public struct ServiceLevelRecords: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Policy: Sendable, Equatable {
        public let policy: SLAPolicy
        /// Set by the county rather than the standard.
        public let custom: Bool
    }

    /// Every stage's policy: the county's where it set one, else the standard.
    public func policies(_ context: TenantContext) async throws -> [Policy] {
        let own = try await store.withTenant(context, readOnly: true) { try await ServiceLevels.policies(in: $0) }
        return SLAStage.allCases.map { stage in
            own[stage].map { Policy(policy: $0, custom: true) } ?? Policy(policy: .standard(stage), custom: false)
        }
    }

    /// Sets a stage's policy (center managers); deadlines already open keep theirs.
    public func setPolicy(_ context: TenantContext, _ policy: SLAPolicy) async throws -> Policy {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以设置办理时限。")
        if let problem = policy.problem { throw StoreFailure.invalid(problem) }
        try await store.withTenant(context) { transaction in
            try await transaction.execute("""
                INSERT INTO sla_policies (county_id, stage, limit_working_days, green_limit_working_days, green_handling_percent,
                                          warn_at_fraction, escalate_after_working_days, pauses_for_applicant, updated_by)
                VALUES (current_setting('app.county_id')::uuid, \(policy.stage.rawValue)::sla_stage,
                        \(policy.limitWorkingDays.map(Int32.init)), \(policy.greenLimitWorkingDays.map(Int32.init)),
                        \(Int32(policy.greenHandlingPercent)), \(policy.warnAtFraction), \(Int32(policy.escalateAfterWorkingDays)),
                        \(policy.pausesForApplicant), \(context.userID))
                ON CONFLICT (county_id, stage) DO UPDATE SET
                    limit_working_days = excluded.limit_working_days, green_limit_working_days = excluded.green_limit_working_days,
                    green_handling_percent = excluded.green_handling_percent, warn_at_fraction = excluded.warn_at_fraction,
                    escalate_after_working_days = excluded.escalate_after_working_days,
                    pauses_for_applicant = excluded.pauses_for_applicant, updated_by = excluded.updated_by, updated_at = now()
                """)
            try await transaction.audit("sla_policy_set", objectType: "sla_policy", objectID: policy.stage.rawValue,
                                        detail: ["limit": policy.limitWorkingDays.map(String.init) ?? "item",
                                                 "green": policy.greenLimitWorkingDays.map(String.init) ?? "",
                                                 "warn_at": String(policy.warnAtFraction),
                                                 "escalate_after": String(policy.escalateAfterWorkingDays)])
        }
        return Policy(policy: policy, custom: true)
    }

    public struct Deadline: Sendable, Equatable {
        public let id: UUID
        public let stage: SLAStage
        public let assignmentID: UUID?
        public let departmentID: UUID?
        public let green: Bool
        public let startedAt: Date
        public let schedule: SLASchedule
        public let extensionWorkingDays: Int
        public let warnedAt: Date?
        public let dueNotifiedAt: Date?
        public let escalatedAt: Date?
        public let endedAt: Date?
        public let endReason: String?

        /// running, warned, overdue, escalated or ended.
        public var state: String {
            if endedAt != nil { return "ended" }
            if escalatedAt != nil { return "escalated" }
            if dueNotifiedAt != nil { return "overdue" }
            if warnedAt != nil { return "warned" }
            return "running"
        }
    }

    /// The case's deadlines, newest first; only for those who may read the case.
    public func deadlines(_ context: TenantContext, caseID: UUID) async throws -> [Deadline] {
        try await store.withTenant(context, readOnly: true) { transaction in
            guard try await transaction.query("SELECT 1 FROM cases WHERE id = \(caseID)").count == 1 else {
                throw StoreFailure.notFound
            }
            return try await transaction.query("""
                SELECT id, stage::text, assignment_id, department_id, green, started_at, warn_at, due_at, escalate_at,
                       extension_working_days, warned_at, due_notified_at, escalated_at, ended_at, end_reason
                FROM sla_deadlines WHERE case_id = \(caseID)
                ORDER BY created_at DESC, stage
                """).decode((UUID, String, UUID?, UUID?, Bool, Date, Date, Date, Date, Int32, Date?, Date?, Date?, Date?, String?).self)
                .compactMap { row in
                    SLAStage(rawValue: row.1).map {
                        Deadline(id: row.0, stage: $0, assignmentID: row.2, departmentID: row.3, green: row.4, startedAt: row.5,
                                 schedule: SLASchedule(warnAt: row.6, dueAt: row.7, escalateAt: row.8),
                                 extensionWorkingDays: Int(row.9), warnedAt: row.10, dueNotifiedAt: row.11, escalatedAt: row.12,
                                 endedAt: row.13, endReason: row.14)
                    }
                }
        }
    }

    public struct Escalation: Sendable, Equatable {
        public let id: UUID
        public let caseID: UUID
        public let caseNumber: String
        public let stage: SLAStage
        public let departmentID: UUID?
        public let departmentName: String?
        public let dueAt: Date
        public let createdAt: Date
        public let resolvedAt: Date?
    }

    /// The escalation list (督办): the joint office and the center see the county's; others
    /// what their cases' visibility allows.
    public func escalations(_ context: TenantContext, openOnly: Bool) async throws -> [Escalation] {
        try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                SELECT e.id, e.case_id, c.case_number, e.stage::text, e.department_id, d.name, e.due_at, e.created_at, e.resolved_at
                FROM escalations e
                JOIN cases c ON c.county_id = e.county_id AND c.id = e.case_id
                LEFT JOIN departments d ON d.county_id = e.county_id AND d.id = e.department_id
                WHERE NOT \(openOnly) OR e.resolved_at IS NULL
                ORDER BY e.created_at DESC LIMIT 500
                """).decode((UUID, UUID, String?, String, UUID?, String?, Date, Date, Date?).self).compactMap { row in
                    SLAStage(rawValue: row.3).map {
                        Escalation(id: row.0, caseID: row.1, caseNumber: row.2 ?? "", stage: $0, departmentID: row.4,
                                   departmentName: row.5, dueAt: row.6, createdAt: row.7, resolvedAt: row.8)
                    }
                }
        }
    }

    public struct StaffNotice: Sendable, Equatable {
        public let id: Int64
        public let caseID: UUID
        public let caseNumber: String
        public let step: SLAStep
        public let text: String
        public let createdAt: Date
        public let readAt: Date?
    }

    /// Notices addressed to the user's roles (and department), newest first.
    public func staffNotices(_ context: TenantContext) async throws -> [StaffNotice] {
        try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                SELECT n.id, n.case_id, c.case_number, n.step::text, n.text, n.created_at, n.read_at
                FROM staff_notices n LEFT JOIN cases c ON c.county_id = n.county_id AND c.id = n.case_id
                ORDER BY n.created_at DESC, n.id DESC LIMIT 200
                """).decode((Int64, UUID, String?, String, String, Date, Date?).self).compactMap { row in
                    SLAStep(rawValue: row.3).map {
                        StaffNotice(id: row.0, caseID: row.1, caseNumber: row.2 ?? "", step: $0, text: row.4, createdAt: row.5, readAt: row.6)
                    }
                }
        }
    }

    public func markRead(_ context: TenantContext, noticeID: Int64) async throws {
        try await store.withTenant(context) { transaction in
            let found = try await transaction.query("SELECT read_at FROM staff_notices WHERE id = \(noticeID)").count
            guard found == 1 else { throw StoreFailure.notFound }
            try await transaction.execute("""
                UPDATE staff_notices SET read_at = now(), read_by = \(context.userID) WHERE id = \(noticeID) AND read_at IS NULL
                """)
        }
    }
}
