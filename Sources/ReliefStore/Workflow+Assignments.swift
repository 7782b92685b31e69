import Foundation
import Postgres
import ReliefDomain

/// Collaborative handling (§5.4) and reporting up (§5.5): what a department does with its
/// assignment, what townships and villages do with the field work delegated to them, and the
/// center's decision on extensions. The case follows its assignments (`CaseWorkflow.status`).
extension Workflow {
    static let departmentStaff: Set<Role> = [.departmentManager, .departmentAgent]

    /// 签收: the department takes the case; the applicant is told what to bring and where (§5.4).
    @discardableResult
    public func signFor(_ context: TenantContext, assignmentID: UUID, applicantNotice: String) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门人员可以签收。")
        let notice = try Self.text(applicantNotice, "告知申请人携带的材料和办理地点", 1...2000)
        return try await actOnAssignment(context, assignmentID: assignmentID, action: .signFor, reason: notice) { transaction, assignment, locked in
            try await transaction.execute("""
                UPDATE case_assignments SET signed_by = \(context.userID), signed_at = now(), applicant_notice = \(notice)
                WHERE id = \(assignmentID)
                """)
            try await Self.notifyApplicant(transaction, locked, "您的申请（编号 \(locked.caseNumber)）已由\(assignment.departmentName)签收办理。\(notice)")
        }
    }

    /// 退单: not the department's remit; the case goes back to the center's queue when no
    /// department is left on it, and the return is counted. A lead that returns passes the lead
    /// to a department still on the case (sql/migrations/0026), which the timeline records.
    @discardableResult
    public func returnAssignment(_ context: TenantContext, assignmentID: UUID, reason: String) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门人员可以退单。")
        let reason = try Self.text(reason, "退单理由", 1...2000)
        return try await actOnAssignment(context, assignmentID: assignmentID, action: .return, reason: reason) { transaction, assignment, locked in
            try await transaction.execute("""
                UPDATE case_assignments SET return_reason = \(reason), returned_by = \(context.userID), returned_at = now(), lead = false
                WHERE id = \(assignmentID)
                """)
            try await transaction.execute("UPDATE cases SET return_count = return_count + 1 WHERE id = \(locked.id)")
            try await Self.passLead(transaction, after: assignment, of: locked, by: context.userID)
        }
    }

    /// Records on the timeline where the lead went when `returned` was leading (牵头部门变更).
    private static func passLead(_ transaction: TenantTransaction, after returned: LockedAssignment, of locked: LockedCase,
                                 by userID: UUID) async throws {
        guard let successor = try await transaction.query("""
            SELECT d.id, d.name FROM (SELECT pass_lead_after_return(\(returned.id)) AS id) passed
            JOIN departments d ON d.id = passed.id
            """).decode((UUID, String).self).first else { return }
        try await CaseTimeline.append(in: transaction, caseID: locked.id, action: "lead_passed", from: nil, to: nil,
                                      actor: .init(userID: userID, label: nil),
                                      reason: "牵头部门\(returned.departmentName)退单，由\(successor.1)牵头办理", visibleToApplicant: false,
                                      detail: ["from_department": returned.departmentName, "department": successor.1,
                                               "department_id": successor.0.uuidString.lowercased()])
    }

    /// Delegates field work (入户调查 …) to the applicant's village or township (§5.5).
    /// Answers the case's id; the task shows in its handling.
    @discardableResult
    public func delegate(_ context: TenantContext, assignmentID: UUID, orgID: UUID, kind: String, instructions: String, dueInDays: Int?) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门人员可以委托调查。")
        let kind = try Self.text(kind, "任务类型", 1...50)
        let instructions = try Self.text(instructions, "任务要求", 1...2000)
        if let dueInDays, !(1...60).contains(dueInDays) { throw StoreFailure.invalid("任务期限应为1–60天") }
        let taskID = UUID()
        return try await actOnAssignment(context, assignmentID: assignmentID, action: .delegate, reason: instructions) { transaction, _, locked in
            // The applicant's own village or its township: whose staff know the household.
            guard let path = try await transaction.query("""
                SELECT path::text FROM orgs WHERE id = \(orgID) AND tier <> 'county' AND active AND \(locked.orgPath)::ltree <@ path
                """).scalar(String.self) else {
                throw StoreFailure.invalid("只能委托申请人所在的村（社区）或乡镇（街道）")
            }
            try await transaction.execute("""
                INSERT INTO case_tasks (county_id, id, case_id, assignment_id, org_id, org_path, kind, instructions, created_by, due_at)
                VALUES (current_setting('app.county_id')::uuid, \(taskID), \(locked.id), \(assignmentID), \(orgID), \(path)::ltree,
                        \(kind), \(instructions), \(context.userID),
                        now() + make_interval(days => \(Int32(dueInDays ?? 5))))
                """)
        }
    }

    /// Township or village staff report the result of delegated work up to the department (§5.5).
    /// Answers the case's id.
    @discardableResult
    public func report(_ context: TenantContext, taskID: UUID, report: String) async throws -> UUID {
        try context.require(anyOf: [.townshipAgent, .villageAgent], "只有乡镇（街道）、村（社区）经办人员可以反馈调查结果。")
        let report = try Self.text(report, "调查结果", 1...4000)
        return try await store.withTenant(context) { transaction in
            guard let (caseID, status, stillHandled) = try await transaction.query("""
                SELECT t.case_id, t.status::text, a.superseded_at IS NULL AND a.status = 'accepted'
                FROM case_tasks t JOIN case_assignments a ON a.county_id = t.county_id AND a.id = t.assignment_id
                WHERE t.id = \(taskID) AND t.org_path <@ \(context.orgPath)::ltree FOR UPDATE OF t
                """).decode((UUID, String, Bool).self).first else { throw StoreFailure.notFound }
            // Field work for an assignment that ended (withdrawn, returned, finished) is not reported.
            guard stillHandled else { throw StoreFailure.conflict("该任务所属的办理已结束（撤回、退回或已办结），无需再反馈") }
            let current = TaskStatus(rawValue: status) ?? .open
            guard TaskWorkflow.next(from: current, on: .report) != nil else {
                throw StoreFailure.notAllowed(state: current.rawValue, action: TaskAction.report.rawValue,
                                              allowed: TaskWorkflow.allowedActions(in: current).map(\.rawValue))
            }
            try await transaction.execute("""
                UPDATE case_tasks SET status = 'reported', report = \(report), reported_by = \(context.userID), reported_at = now()
                WHERE id = \(taskID)
                """)
            try await CaseTimeline.append(in: transaction, caseID: caseID, action: "task_reported", from: nil, to: nil,
                                          actor: .init(userID: context.userID, label: nil), reason: report, visibleToApplicant: false,
                                          detail: ["task_id": taskID.uuidString.lowercased()])
            return caseID
        }
    }

    /// 办结: the department's result (§5.5); when every department on the case is done, the
    /// case is completed for the center's summary (§5.6).
    @discardableResult
    public func recordOutcome(_ context: TenantContext, assignmentID: UUID, outcome: Outcome, content: String, amount: Decimal?) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门人员可以办结。")
        let content = try Self.text(content, "办理结果", 1...4000)
        if let amount, amount < 0 || amount > 10_000_000 { throw StoreFailure.invalid("救助金额应在0–10000000元之间") }
        // Yuan and fen: a finer amount would be rounded where the applicant is told it.
        if let amount, amount != amount.rounded(scale: 2) { throw StoreFailure.invalid("救助金额最多精确到分（两位小数）") }
        if outcome == .denied, let amount, amount > 0 { throw StoreFailure.invalid("不予救助时不应有救助金额") }
        return try await actOnAssignment(context, assignmentID: assignmentID, action: .recordOutcome, reason: content) { transaction, assignment, locked in
            let open = try await transaction.query("""
                SELECT count(*) FROM case_tasks WHERE assignment_id = \(assignmentID) AND status = 'open'
                """).scalar(Int.self) ?? 0
            guard open == 0 else { throw StoreFailure.conflict("尚有\(open)项委托调查未反馈，不能办结") }
            try await transaction.execute("""
                UPDATE case_assignments SET status = 'done', outcome = \(outcome.rawValue)::relief_outcome, outcome_content = \(content),
                       outcome_amount = \(amount), done_by = \(context.userID), done_at = now()
                WHERE id = \(assignmentID)
                """)
            // Done: the time an open extension asked for is no longer needed.
            try await Workflow.answerOpenExtensions(transaction, caseID: locked.id, assignmentID: assignmentID, by: context.userID,
                                                    note: "已办结，无需延期")
            let money = amount.map { "，救助金额\($0)元" } ?? ""
            try await Self.notifyApplicant(transaction, locked,
                                           "您的申请（编号 \(locked.caseNumber)）\(assignment.departmentName)已办结：\(outcome.title)\(money)。\(content)")
        }
    }

    /// 延期: asked with a reason while the assignment is being handled and before it is due.
    /// Answers the case's id; the request shows in its handling.
    @discardableResult
    public func requestExtension(_ context: TenantContext, assignmentID: UUID, days: Int, reason: String) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门人员可以申请延期。")
        guard (1...30).contains(days) else { throw StoreFailure.invalid("延期天数应为1–30天") }
        let reason = try Self.text(reason, "延期理由", 1...2000)
        let id = UUID()
        return try await actOnAssignment(context, assignmentID: assignmentID, action: .requestExtension, reason: reason) { transaction, assignment, locked in
            if let due = assignment.dueAt, due < Date() { throw StoreFailure.conflict("已超过办理期限，不能再申请延期") }
            do {
                try await transaction.execute("""
                    INSERT INTO case_extensions (county_id, id, case_id, assignment_id, days, reason, requested_by)
                    VALUES (current_setting('app.county_id')::uuid, \(id), \(locked.id), \(assignmentID), \(Int32(days)), \(reason), \(context.userID))
                    """)
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw StoreFailure.conflict("已有待审批的延期申请")
            }
        }
    }

    /// The center approves (moving the deadlines) or refuses an extension.
    /// Answers the case's id.
    @discardableResult
    public func decideExtension(_ context: TenantContext, extensionID: UUID, approve: Bool, note: String?) async throws -> UUID {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以审批延期。")
        let note = try note.map { try Self.text($0, "审批意见", 0...2000) }
        return try await store.withTenant(context) { transaction in
            guard let (caseID, assignmentID, days, status) = try await transaction.query("""
                SELECT case_id, assignment_id, days, status::text FROM case_extensions WHERE id = \(extensionID) FOR UPDATE
                """).decode((UUID, UUID, Int32, String).self).first else { throw StoreFailure.notFound }
            guard status == "requested" else { throw StoreFailure.conflict("该延期申请已审批") }
            // Only while the assignment is still being handled (refusals answered the rest).
            let handling = try await transaction.query("""
                SELECT status = 'accepted' AND superseded_at IS NULL FROM case_assignments WHERE id = \(assignmentID)
                """).scalar(Bool.self) ?? false
            guard handling else { throw StoreFailure.conflict("该任务已不在办理中（已办结、退回或撤回），延期申请无需审批") }
            try await transaction.execute("""
                UPDATE case_extensions SET status = \(approve ? "approved" : "refused")::extension_status, decided_by = \(context.userID),
                       decided_at = now(), decision_note = \(note)
                WHERE id = \(extensionID)
                """)
            if approve {
                // Working days on the county's calendar, as the extended deadline counts them.
                let calendar = try await Calendars(store: store).workingCalendar(in: transaction)
                let (assignmentDue, caseDue) = try await transaction.query("""
                    SELECT a.due_at, c.due_at FROM case_assignments a JOIN cases c ON c.county_id = a.county_id AND c.id = a.case_id
                    WHERE a.id = \(assignmentID)
                    """).decode((Date?, Date?).self)[0]
                let later = { (due: Date?) in due.map { calendar.adding(workingDays: Int(days), to: $0) } }
                try await transaction.execute("UPDATE case_assignments SET due_at = \(later(assignmentDue)) WHERE id = \(assignmentID)")
                try await transaction.execute("UPDATE cases SET due_at = \(later(caseDue)) WHERE id = \(caseID)")
            }
            try await CaseTimeline.append(in: transaction, caseID: caseID, action: approve ? "extension_approved" : "extension_refused",
                                          from: nil, to: nil, actor: .init(userID: context.userID, label: nil), reason: note,
                                          visibleToApplicant: approve, detail: ["days": String(days)])
            return caseID
        }
    }

    // MARK: The one way an assignment changes state

    struct LockedAssignment {
        let id: UUID
        let status: AssignmentStatus
        let departmentName: String
        let dueAt: Date?
    }

    /// Locks the case and the assignment, checks `action` against the assignment's state, runs
    /// `change`, moves the assignment, then the case as its assignments say, with the events.
    func actOnAssignment(
        _ context: TenantContext, assignmentID: UUID, action: AssignmentAction, reason: String?,
        _ change: (TenantTransaction, LockedAssignment, LockedCase) async throws -> Void
    ) async throws -> UUID {
        try await store.withTenant(context) { transaction in
            // The department's own assignment only: another department's answers as unknown.
            guard let caseID = try await transaction.query("""
                SELECT case_id FROM case_assignments WHERE id = \(assignmentID) AND department_id = \(context.departmentID)
                """).scalar(UUID.self) else { throw StoreFailure.notFound }
            let locked = try await Self.lock(transaction, caseID: caseID)
            // Departments act while the case is with them, not after it was withdrawn or reopened.
            guard locked.status == .dispatched || locked.status == .inProgress else {
                throw StoreFailure.notAllowed(state: locked.status.rawValue, action: action.rawValue, allowed: [])
            }
            guard let row = try await transaction.query("""
                SELECT a.status::text, d.name, a.due_at FROM case_assignments a
                JOIN departments d ON d.county_id = a.county_id AND d.id = a.department_id
                WHERE a.id = \(assignmentID) AND a.superseded_at IS NULL FOR UPDATE OF a
                """).decode((String, String, Date?).self).first else { throw StoreFailure.notFound }
            let assignment = LockedAssignment(id: assignmentID, status: AssignmentStatus(rawValue: row.0) ?? .pending,
                                              departmentName: row.1, dueAt: row.2)
            guard let next = AssignmentWorkflow.next(from: assignment.status, on: action) else {
                throw StoreFailure.notAllowed(state: assignment.status.rawValue, action: action.rawValue,
                                              allowed: AssignmentWorkflow.allowedActions(in: assignment.status).map(\.rawValue))
            }
            try await change(transaction, assignment, locked)
            if next != assignment.status {
                try await transaction.execute("UPDATE case_assignments SET status = \(next.rawValue)::assignment_status WHERE id = \(assignmentID)")
            }
            let statuses = try await transaction.query("""
                SELECT status::text FROM case_assignments WHERE case_id = \(caseID) AND superseded_at IS NULL
                """)
                .column(String.self).compactMap(AssignmentStatus.init(rawValue:))
            let caseNext = CaseWorkflow.status(afterAssignmentsOf: locked.status, assignments: statuses)
            try await Self.move(transaction, locked, to: caseNext, action: action.rawValue, reason: reason, actor: context.userID,
                                visibleToApplicant: action == .signFor || action == .recordOutcome,
                                detail: ["assignment_id": assignmentID.uuidString.lowercased(), "department": assignment.departmentName,
                                         "assignment_status": next.rawValue])
            return caseID
        }
    }
}

extension Decimal {
    /// Rounded half up to `scale` decimal places.
    func rounded(scale: Int) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }
}
