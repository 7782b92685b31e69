import Foundation
import Postgres
import ReliefDomain

/// The applicant's progress query (§6.1.2.2, §6.2.1): by case number and query code, without
/// an account. It shows only the events meant for the applicant, who is responsible now and
/// when the current stage is due, with personal data masked.
public struct Progress: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct View: Sendable, Equatable {
        public let caseNumber: String
        public let itemName: String?
        public let applicantName: String?
        public let status: CaseStatus
        /// Who holds the case now, as the applicant should know it.
        public let responsible: [String]
        public let dueAt: Date?
        public let events: [Event]
    }

    public struct Event: Sendable, Equatable {
        public let at: Date
        public let action: String
        public let status: CaseStatus?
        public let note: String?
    }

    public func lookUp(countyID: UUID, caseNumber: String, queryCode: String) async throws -> View {
        guard let code = QueryCode.normalized(queryCode), caseNumber.count <= 40 else { throw StoreFailure.notFound }
        return try await store.withLookup(countyID: countyID, number: caseNumber, queryCode: code) { transaction in
            guard let row = try await transaction.query("""
                SELECT c.id, c.case_number, v.name, c.applicant_name_masked, c.status::text, c.due_at
                FROM cases c
                LEFT JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
                WHERE c.case_number = \(caseNumber)
                """).decode((UUID, String, String?, String?, String, Date?).self).first else { throw StoreFailure.notFound }
            let status = CaseStatus(rawValue: row.4) ?? .submitted
            let departments = try await transaction.query("""
                SELECT d.name FROM case_assignments a JOIN departments d ON d.county_id = a.county_id AND d.id = a.department_id
                WHERE a.case_id = \(row.0) AND a.status IN ('pending', 'accepted') AND a.superseded_at IS NULL
                ORDER BY a.lead DESC, d.name
                """).column(String.self)
            let events = try await CaseTimeline.events(in: transaction, caseID: row.0, applicantOnly: true).map { event in
                Event(at: event.at, action: event.action, status: event.toStatus, note: Self.note(for: event))
            }
            return View(caseNumber: row.1, itemName: row.2, applicantName: row.3, status: status,
                        responsible: Self.responsible(status, departments: departments),
                        dueAt: status.isOpen ? row.5 : nil, events: events)
        }
    }

    /// The center holds the case until it is dispatched, the joint meeting while it decides,
    /// the departments while they handle it.
    static func responsible(_ status: CaseStatus, departments: [String]) -> [String] {
        switch status {
        case .submitted: ["社会救助中心"]
        case .jointReview: ["社会救助联席会议办公室"]
        case .dispatched, .inProgress: departments.isEmpty ? ["社会救助中心"] : departments
        case .completed: ["社会救助中心"]
        case .rejected, .closed, .withdrawn: []
        }
    }

    /// What the applicant reads of an event: reasons for refusals and the departments'
    /// notices, nothing internal.
    static func note(for event: CaseTimeline.Event) -> String? {
        switch event.action {
        // What the applicant must know: why, what to bring, and what to supply (补正).
        case "reject", "withdraw", "sign_for", "record_outcome", "extension_approved", "await_applicant", "material_reviewed": event.reason
        default: nil
        }
    }
}
