import Foundation
import Postgres
import ReliefDomain

/// Waiting for the applicant (补正): the center before accepting, or a department while
/// handling, asks the applicant for what is missing; the applicant is told, and where the
/// county's policy says so the stage's clock stops until they are back. Not a state of the
/// case: the case stays where it is, and every action stays open.
extension Workflow {
    public func awaitApplicant(_ context: TenantContext, caseID: UUID, reason: String) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以要求申请人补正。")
        let reason = try Self.text(reason, "补正说明", 1...2000)
        try await store.withTenant(context) { transaction in
            let locked = try await Self.lock(transaction, caseID: caseID)
            guard locked.status == .submitted else {
                throw StoreFailure.notAllowed(state: locked.status.rawValue, action: "await_applicant", allowed: [])
            }
            let changed = try await transaction.execute("""
                UPDATE cases SET awaiting_applicant_since = now(), awaiting_applicant_reason = \(reason)
                WHERE id = \(caseID) AND awaiting_applicant_since IS NULL
                """)
            guard changed == 1 else { throw StoreFailure.conflict("已在等待申请人补正") }
            try await Self.recordWait(transaction, locked, reason: reason, actor: context.userID, detail: [:])
        }
    }

    public func applicantReturned(_ context: TenantContext, caseID: UUID) async throws {
        try context.require(anyOf: Self.center, "只有救助中心可以登记申请人已补正。")
        try await store.withTenant(context) { transaction in
            let locked = try await Self.lock(transaction, caseID: caseID)
            guard let since = try await transaction.query("""
                SELECT awaiting_applicant_since FROM cases WHERE id = \(caseID)
                """).scalar(Date?.self) ?? nil else { throw StoreFailure.conflict("该案件没有在等待申请人补正") }
            let waited = try await Self.officeSeconds(since: since, in: transaction, store: store)
            try await transaction.execute("""
                UPDATE cases SET awaiting_applicant_since = NULL, awaiting_applicant_reason = NULL,
                                 applicant_wait_seconds = applicant_wait_seconds + \(waited)
                WHERE id = \(caseID)
                """)
            try await Self.recordReturn(transaction, locked, actor: context.userID, waited: waited, detail: [:])
        }
    }

    /// Answers the assignment's case.
    @discardableResult
    public func awaitApplicant(_ context: TenantContext, assignmentID: UUID, reason: String) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门可以要求申请人补正。")
        let reason = try Self.text(reason, "补正说明", 1...2000)
        return try await store.withTenant(context) { transaction in
            let (locked, status) = try await Self.lockOwnAssignment(transaction, assignmentID, context)
            guard status == .accepted else {
                throw StoreFailure.notAllowed(state: status.rawValue, action: "await_applicant", allowed: [])
            }
            let changed = try await transaction.execute("""
                UPDATE case_assignments SET awaiting_applicant_since = now(), awaiting_applicant_reason = \(reason)
                WHERE id = \(assignmentID) AND awaiting_applicant_since IS NULL
                """)
            guard changed == 1 else { throw StoreFailure.conflict("已在等待申请人补正") }
            try await Self.recordWait(transaction, locked, reason: reason, actor: context.userID,
                                      detail: ["assignment_id": assignmentID.uuidString.lowercased()])
            return locked.id
        }
    }

    /// Answers the assignment's case.
    @discardableResult
    public func applicantReturned(_ context: TenantContext, assignmentID: UUID) async throws -> UUID {
        try context.require(anyOf: Self.departmentStaff, "只有承办部门可以登记申请人已补正。")
        return try await store.withTenant(context) { transaction in
            let (locked, _) = try await Self.lockOwnAssignment(transaction, assignmentID, context)
            guard let since = try await transaction.query("""
                SELECT awaiting_applicant_since FROM case_assignments WHERE id = \(assignmentID)
                """).scalar(Date?.self) ?? nil else { throw StoreFailure.conflict("该派单没有在等待申请人补正") }
            let waited = try await Self.officeSeconds(since: since, in: transaction, store: store)
            try await transaction.execute("""
                UPDATE case_assignments SET awaiting_applicant_since = NULL, awaiting_applicant_reason = NULL,
                                            applicant_wait_seconds = applicant_wait_seconds + \(waited)
                WHERE id = \(assignmentID)
                """)
            try await Self.recordReturn(transaction, locked, actor: context.userID, waited: waited,
                                        detail: ["assignment_id": assignmentID.uuidString.lowercased()])
            return locked.id
        }
    }

    /// The department's own, current assignment, locked with its case.
    private static func lockOwnAssignment(
        _ transaction: TenantTransaction, _ assignmentID: UUID, _ context: TenantContext
    ) async throws -> (LockedCase, AssignmentStatus) {
        guard let caseID = try await transaction.query("""
            SELECT case_id FROM case_assignments
            WHERE id = \(assignmentID) AND department_id = \(context.departmentID) AND superseded_at IS NULL
            """).scalar(UUID.self) else { throw StoreFailure.notFound }
        let locked = try await lock(transaction, caseID: caseID)
        let status = try await transaction.query("""
            SELECT status::text FROM case_assignments WHERE id = \(assignmentID) FOR UPDATE
            """).scalar(String.self).flatMap(AssignmentStatus.init(rawValue:)) ?? .pending
        return (locked, status)
    }

    /// Office time since `since`, on the county's working-day calendar.
    private static func officeSeconds(since: Date, in transaction: TenantTransaction, store: Store) async throws -> Double {
        let calendar = try await Calendars(store: store).workingCalendar(in: transaction)
        let waited = calendar.workingTimeRemaining(from: since, until: Date())
        return Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18
    }

    private static func recordWait(_ transaction: TenantTransaction, _ locked: LockedCase, reason: String, actor: UUID,
                                   detail: [String: String]) async throws {
        try await CaseTimeline.append(in: transaction, caseID: locked.id, action: "await_applicant", from: locked.status,
                                      to: locked.status, actor: .init(userID: actor, label: nil), reason: reason,
                                      visibleToApplicant: true, detail: detail)
        try await notifyApplicant(transaction, locked, "您的申请（编号 \(locked.caseNumber)）需要补正：\(reason)")
    }

    private static func recordReturn(_ transaction: TenantTransaction, _ locked: LockedCase, actor: UUID, waited: Double,
                                     detail: [String: String]) async throws {
        var detail = detail
        detail["waited_office_seconds"] = String(Int(waited))
        try await CaseTimeline.append(in: transaction, caseID: locked.id, action: "applicant_returned", from: locked.status,
                                      to: locked.status, actor: .init(userID: actor, label: nil), reason: nil,
                                      visibleToApplicant: true, detail: detail)
    }
}
