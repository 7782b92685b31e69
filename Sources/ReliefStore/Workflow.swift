import Foundation
import Postgres
import ReliefDomain

/// The linkage workflow (DB32/T 4012-2021 figure 1): one-door acceptance by the center (§5.2),
/// dispatch or referral (§5.3), the joint meeting's decision (§5.4), closing with a summary
/// (§5.6) and follow-ups. The departments' part is in `Workflow+Assignments.swift`.
///
/// Every action locks the case row, asks `CaseWorkflow` whether its state allows the action,
/// changes it, appends the timeline event, and writes what the applicant and the 12345
/// platform must be told to the outbox, all in one transaction: two agents acting at once
/// leave one winner, and the other gets `notAllowed` naming what the new state allows.
public struct Workflow: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    static let center: Set<Role> = [.centerManager, .centerAgent]

    /// The case as an action finds it, locked until the transaction ends.
    struct LockedCase {
        let id: UUID
        let status: CaseStatus
        let caseNumber: String
        let channel: IntakeChannel?
        let hotlineOrderNumber: String?
        let itemTimeLimitDays: Int
        let jointRelief: Bool?
        let orgPath: String
        let greenChannel: Bool
    }

    // MARK: One-door acceptance (§5.2, §5.3)

    /// Rejects an application that does not qualify; the applicant is told why (§5.2).
    public func reject(_ context: TenantContext, caseID: UUID, reason: String) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以作出不予受理决定。")
        let reason = try Self.text(reason, "不予受理的理由", 1...2000)
        try await act(context, caseID: caseID, action: .reject, reason: reason) { transaction, locked, _ in
            try await transaction.execute("UPDATE cases SET rejection_reason = \(reason) WHERE id = \(caseID)")
            try await Self.notifyApplicant(transaction, locked, "您的申请（编号 \(locked.caseNumber)）经审核不予受理。理由：\(reason)")
            return [:]
        }
    }

    /// Dispatches to the implementing departments, one of them leading (§5.3). From the joint
    /// review it carries out the joint office's decision, recorded as on its behalf (§5.4).
    public func dispatch(_ context: TenantContext, caseID: UUID, departmentIDs: [UUID], leadDepartmentID: UUID?, note: String?) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以派单。")
        let departments = Array(NSOrderedSet(array: departmentIDs)) as! [UUID]
        guard (1...10).contains(departments.count) else { throw StoreFailure.invalid("应选择1–10个实施部门") }
        let lead = leadDepartmentID ?? (departments.count == 1 ? departments[0] : nil)
        guard let lead, departments.contains(lead) else { throw StoreFailure.invalid("多个部门联办时应指定一个牵头部门，且牵头部门须在所选部门中") }
        let note = try note.map { try Self.text($0, "派单说明", 1...2000) }
        try await act(context, caseID: caseID, action: .dispatch, reason: note) { transaction, locked, next in
            if locked.status == .jointReview {
                guard locked.jointRelief == true else { throw StoreFailure.conflict("联席会议尚未作出予以救助的研判，不能派单") }
                // On the office's behalf: to the departments and lead it decided on.
                let decided = try await transaction.query("""
                    SELECT joint_department_ids, joint_lead_department_id FROM cases WHERE id = \(caseID)
                    """).decode(([UUID]?, UUID?).self)[0]
                guard Set(decided.0 ?? []) == Set(departments), decided.1 == lead else {
                    throw StoreFailure.invalid("派单部门和牵头部门应与联席会议研判一致")
                }
            }
            try await Self.requireHandlingDepartments(transaction, departments)
            let forJointOffice = locked.status == .jointReview
            // The item's limit is in working days on the county's calendar; the SLA's deadlines
            // (green channel, county policy) replace this estimate when they open.
            let due = try await Calendars(store: store).workingCalendar(in: transaction)
                .adding(workingDays: locked.itemTimeLimitDays, to: Date())
            for department in departments {
                // A department dispatched again (after a return or a reopening) starts over.
                try await transaction.execute("""
                    INSERT INTO case_assignments (county_id, case_id, department_id, lead, dispatched_by, for_joint_office, due_at)
                    VALUES (current_setting('app.county_id')::uuid, \(caseID), \(department), \(department == lead), \(context.userID),
                            \(forJointOffice), \(due))
                    ON CONFLICT (county_id, case_id, department_id) DO UPDATE SET
                        status = 'pending', lead = excluded.lead, dispatched_by = excluded.dispatched_by,
                        for_joint_office = excluded.for_joint_office, assigned_at = now(), due_at = excluded.due_at,
                        signed_by = NULL, signed_at = NULL, applicant_notice = NULL, return_reason = NULL, returned_by = NULL,
                        returned_at = NULL, outcome = NULL, outcome_content = NULL, outcome_amount = NULL, done_by = NULL, done_at = NULL,
                        superseded_at = NULL
                    """)
            }
            try await transaction.execute("UPDATE cases SET due_at = \(due) WHERE id = \(caseID)")
            return ["departments": departments.map(\.uuidString).joined(separator: ",").lowercased(),
                    "lead": lead.uuidString.lowercased(), "for_joint_office": String(forJointOffice)]
        }
    }

    /// Refers the case to the joint meeting, with one of §5.3's reasons (§5.3).
    public func refer(_ context: TenantContext, caseID: UUID, reason: ReferralReason, note: String?) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以提交联席会议。")
        let note = try note.map { try Self.text($0, "提交说明", 1...2000) }
        try await act(context, caseID: caseID, action: .refer, reason: note ?? reason.title) { transaction, _, _ in
            // The joint review's standard limit, in working days, until its deadline opens.
            let due = try await Calendars(store: store).workingCalendar(in: transaction).adding(workingDays: 5, to: Date())
            try await transaction.execute("""
                UPDATE cases SET referral_reason = \(reason.rawValue)::referral_reason, referral_note = \(note), due_at = \(due)
                WHERE id = \(caseID)
                """)
            return ["referral_reason": reason.rawValue]
        }
    }

    /// The joint office's decision (§5.4): relief with the departments and the linked relief
    /// plan — which the center then dispatches — or no relief with a reason, which ends it.
    public func decide(
        _ context: TenantContext, caseID: UUID, relief: Bool, plan: String?, reason: String?,
        departmentIDs: [UUID], leadDepartmentID: UUID?
    ) async throws {
        try context.require(anyOf: [.jointOffice], "只有社会救助联席会议办公室可以作出研判。")
        if relief {
            let plan = try Self.text(plan ?? "", "联动救助方案", 1...4000)
            guard !departmentIDs.isEmpty, let lead = leadDepartmentID ?? (departmentIDs.count == 1 ? departmentIDs[0] : nil),
                  departmentIDs.contains(lead) else {
                throw StoreFailure.invalid("予以救助时应明确实施部门及牵头部门")
            }
            try await act(context, caseID: caseID, action: .decide, reason: plan) { transaction, _, _ in
                try await Self.requireHandlingDepartments(transaction, departmentIDs)
                try await transaction.execute("""
                    UPDATE cases SET joint_relief = true, joint_plan = \(plan), joint_decided_by = \(context.userID), joint_decided_at = now(),
                                     joint_department_ids = \(Array(Set(departmentIDs))), joint_lead_department_id = \(lead)
                    WHERE id = \(caseID)
                    """)
                return ["relief": "true", "departments": departmentIDs.map(\.uuidString).joined(separator: ",").lowercased(),
                        "lead": lead.uuidString.lowercased()]
            }
        } else {
            let reason = try Self.text(reason ?? "", "不予救助的理由", 1...2000)
            // No relief ends the case as rejected, which the applicant is told.
            try await act(context, caseID: caseID, action: .reject, reason: reason) { transaction, locked, _ in
                // Rejecting is the center's (§5.2); the office decides only what was referred to it.
                guard locked.status == .jointReview else {
                    throw StoreFailure.notAllowed(state: locked.status.rawValue, action: CaseAction.decide.rawValue,
                                                  allowed: CaseWorkflow.allowedActions(in: locked.status).map(\.rawValue))
                }
                try await transaction.execute("""
                    UPDATE cases SET joint_relief = false, joint_plan = NULL, rejection_reason = \(reason),
                                     joint_decided_by = \(context.userID), joint_decided_at = now()
                    WHERE id = \(caseID)
                    """)
                try await Self.notifyApplicant(transaction, locked, "您的申请（编号 \(locked.caseNumber)）经社会救助联席会议研究，不予救助。理由：\(reason)")
                return ["relief": "false"]
            }
        }
    }

    // MARK: Completion summary (§5.6) and follow-up

    /// Closes a completed case with the center's summary (§5.6).
    public func close(_ context: TenantContext, caseID: UUID, summary: String) async throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以办结归档。")
        let summary = try Self.text(summary, "办结汇总", 1...4000)
        try await act(context, caseID: caseID, action: .close, reason: nil) { transaction, _, _ in
            try await transaction.execute("""
                UPDATE cases SET summary = \(summary), closed_by = \(context.userID), closed_at = now(), due_at = NULL WHERE id = \(caseID)
                """)
            return [:]
        }
    }

    /// Records a follow-up (回访); a dissatisfied applicant's case can be reopened with it, in
    /// the same transaction: back to the center's queue, the earlier departments' round set aside.
    public func followUp(_ context: TenantContext, caseID: UUID, satisfaction: Int, comments: String?, reopen: Bool) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以登记回访。")
        guard (1...5).contains(satisfaction) else { throw StoreFailure.invalid("满意度应为1–5") }
        let comments = try comments.map { try Self.text($0, "回访意见", 0...2000) }
        if reopen, satisfaction > 3 { throw StoreFailure.invalid("只有不满意（满意度1–3）的回访可以重新办理") }
        try await act(context, caseID: caseID, action: reopen ? .reopen : .followUp, reason: comments) { transaction, locked, _ in
            try await transaction.execute("""
                INSERT INTO case_follow_ups (county_id, id, case_id, satisfaction, comments, recorded_by)
                VALUES (current_setting('app.county_id')::uuid, \(UUID()), \(caseID), \(Int32(satisfaction)), \(comments), \(context.userID))
                """)
            if reopen {
                try await CaseTimeline.append(in: transaction, caseID: caseID, action: CaseAction.followUp.rawValue, from: locked.status,
                                              to: locked.status, actor: .init(userID: context.userID, label: nil), reason: comments,
                                              visibleToApplicant: true, detail: ["satisfaction": String(satisfaction)])
                try await transaction.execute("UPDATE cases SET closed_at = NULL, closed_by = NULL WHERE id = \(caseID)")
                try await transaction.execute("""
                    UPDATE case_assignments SET superseded_at = now(), lead = false WHERE case_id = \(caseID) AND superseded_at IS NULL
                    """)
            }
            return ["satisfaction": String(satisfaction)]
        }
    }

    /// The applicant withdraws an open case (recorded by the center on their request).
    public func withdraw(_ context: TenantContext, caseID: UUID, reason: String) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以登记撤回。")
        let reason = try Self.text(reason, "撤回原因", 1...2000)
        try await act(context, caseID: caseID, action: .withdraw, reason: reason) { transaction, _, _ in
            try await transaction.execute("UPDATE cases SET due_at = NULL WHERE id = \(caseID)")
            // The work under way ends with the application: the departments' assignments are
            // no longer current (out of their queues, nothing more to sign or finish), and an
            // extension still asked for is answered.
            try await transaction.execute("""
                UPDATE case_assignments SET superseded_at = now() WHERE case_id = \(caseID) AND superseded_at IS NULL
                """)
            try await Self.answerOpenExtensions(transaction, caseID: caseID, by: context.userID, note: "申请已撤回")
            return [:]
        }
    }

    /// Refuses the extensions still asked for on the case (or on one assignment): the work they
    /// asked time for has ended.
    static func answerOpenExtensions(_ transaction: TenantTransaction, caseID: UUID, assignmentID: UUID? = nil, by user: UUID,
                                     note: String) async throws {
        try await transaction.execute("""
            UPDATE case_extensions SET status = 'refused', decided_by = \(user), decided_at = now(), decision_note = \(note)
            WHERE case_id = \(caseID) AND status = 'requested' AND (\(assignmentID)::uuid IS NULL OR assignment_id = \(assignmentID))
            """)
    }

    // MARK: The one way a case changes state

    /// Locks the case, checks `action` against its state, runs `change`, moves the case to
    /// the next state and records the event (with the detail `change` returns) and the
    /// 12345 status callback.
    @discardableResult
    func act(
        _ context: TenantContext, caseID: UUID, action: CaseAction, reason: String?,
        _ change: (TenantTransaction, LockedCase, CaseStatus) async throws -> [String: String]
    ) async throws -> CaseStatus {
        try await store.withTenant(context) { transaction in
            let locked = try await Self.lock(transaction, caseID: caseID)
            guard let next = CaseWorkflow.next(from: locked.status, on: action) else {
                throw StoreFailure.notAllowed(state: locked.status.rawValue, action: action.rawValue,
                                              allowed: CaseWorkflow.allowedActions(in: locked.status).map(\.rawValue))
            }
            let detail = try await change(transaction, locked, next)
            try await Self.move(transaction, locked, to: next, action: action.rawValue, reason: reason,
                                actor: context.userID, visibleToApplicant: action != .decide, detail: detail)
            return next
        }
    }

    static func lock(_ transaction: TenantTransaction, caseID: UUID) async throws -> LockedCase {
        guard let row = try await transaction.query("""
            SELECT c.status::text, c.case_number, c.channel::text, c.hotline_order_number, coalesce(v.time_limit_days, 15),
                   c.joint_relief, c.org_path::text, c.green_channel
            FROM cases c
            LEFT JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
            WHERE c.id = \(caseID) AND c.case_number IS NOT NULL
            FOR UPDATE OF c
            """).decode((String, String, String?, String?, Int32, Bool?, String, Bool).self).first else { throw StoreFailure.notFound }
        return LockedCase(id: caseID, status: CaseStatus(rawValue: row.0) ?? .submitted, caseNumber: row.1,
                          channel: row.2.flatMap(IntakeChannel.init(rawValue:)), hotlineOrderNumber: row.3,
                          itemTimeLimitDays: Int(row.4), jointRelief: row.5, orgPath: row.6, greenChannel: row.7)
    }

    /// Moves the case to `next` (if it changes) and records the event and, for 12345 orders,
    /// the status callback.
    static func move(
        _ transaction: TenantTransaction, _ locked: LockedCase, to next: CaseStatus, action: String, reason: String?,
        actor: UUID, visibleToApplicant: Bool, detail: [String: String] = [:]
    ) async throws {
        if next != locked.status {
            try await transaction.execute("UPDATE cases SET status = \(next.rawValue)::case_status, updated_at = now() WHERE id = \(locked.id)")
        }
        try await CaseTimeline.append(in: transaction, caseID: locked.id, action: action, from: locked.status, to: next,
                                      actor: .init(userID: actor, label: nil), reason: reason,
                                      visibleToApplicant: visibleToApplicant, detail: detail)
        if let order = locked.hotlineOrderNumber, next != locked.status {
            try await Outbox.add(transaction, caseID: locked.id, kind: .hotlineCallback, payload: [
                "orderNumber": order, "caseNumber": locked.caseNumber, "status": next.rawValue,
                "statusTitle": next.title, "action": action, "reason": reason ?? "",
            ], urgent: locked.greenChannel)
        }
    }

    /// An applicant notice for the job runner to deliver (SMS or the file sender).
    static func notifyApplicant(_ transaction: TenantTransaction, _ locked: LockedCase, _ text: String) async throws {
        try await Outbox.add(transaction, caseID: locked.id, kind: .applicantNotice,
                             payload: ["caseNumber": locked.caseNumber, "text": text], urgent: locked.greenChannel)
    }

    /// Refuses departments that do not exist, are inactive, or are not handling departments
    /// (the relief center and the joint office do not handle cases).
    static func requireHandlingDepartments(_ transaction: TenantTransaction, _ ids: [UUID]) async throws {
        let known = try await transaction.query("""
            SELECT id FROM departments WHERE id = ANY(\(ids)) AND kind = 'department' AND active
            """).column(UUID.self)
        guard Set(known) == Set(ids) else { throw StoreFailure.invalid("所选部门不存在、已停用或不是承办部门") }
    }

    static func text(_ value: String, _ field: String, _ range: ClosedRange<Int>) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard range.contains(trimmed.count) else {
            throw StoreFailure.invalid("\(field)应为\(range.lowerBound)–\(range.upperBound)个字符")
        }
        return trimmed
    }
}
