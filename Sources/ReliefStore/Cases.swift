import Foundation
import Postgres
import ReliefDomain

/// Reading cases as staff: lists and one case with its timeline. Personal data shows masked;
/// the full values are opened only on request, for roles that handle the applicant, and each
/// such read is audited (DESIGN.md, "Tenancy"; GB/T 37973 least privilege).
public struct Cases: Sendable {
    public let store: Store
    public let cipher: PersonalDataCipher

    public init(store: Store, cipher: PersonalDataCipher) {
        self.store = store
        self.cipher = cipher
    }

    /// Roles that may see an applicant's personal data in full; auditors see it masked.
    public static let mayReveal: Set<Role> = Role.writers

    public struct ApplicantView: Sendable, Equatable {
        public let name: String
        public let idNumber: String
        public let phone: String
        public let address: String?
        public let masked: Bool
    }

    public struct Summary: Sendable, Equatable {
        public let id: UUID
        public let caseNumber: String
        public let status: CaseStatus
        public let channel: IntakeChannel?
        public let itemID: UUID?
        public let itemName: String?
        public let title: String
        public let orgID: UUID
        public let orgName: String
        public let applicantName: String?
        public let greenChannel: Bool
        public let possibleDuplicateOf: UUID?
        /// How often departments returned it (退单).
        public let returnCount: Int
        public let createdAt: Date
    }

    public struct Detail: Sendable, Equatable {
        public let summary: Summary
        public let itemVersion: Int?
        public let windowID: UUID?
        public let description: String?
        public let greenChannelReason: String?
        public let hotlineOrderNumber: String?
        public let applicant: ApplicantView?
        public let handling: Handling
        public let events: [CaseTimeline.Event]
    }

    /// How the case is being handled: decisions, assignments, field work, extensions.
    public struct Handling: Sendable, Equatable {
        public let dueAt: Date?
        public let rejectionReason: String?
        public let referralReason: ReferralReason?
        public let jointRelief: Bool?
        public let jointPlan: String?
        public let returnCount: Int
        public let summary: String?
        public let assignments: [Assignment]
        public let tasks: [Task]
        public let extensions: [Extension]
    }

    public struct Assignment: Sendable, Equatable {
        public let id: UUID
        public let departmentID: UUID
        public let departmentName: String
        public let status: AssignmentStatus
        public let lead: Bool
        public let forJointOffice: Bool
        public let dueAt: Date?
        public let applicantNotice: String?
        public let returnReason: String?
        public let outcome: Outcome?
        public let outcomeContent: String?
        public let outcomeAmount: Decimal?
    }

    public struct Task: Sendable, Equatable {
        public let id: UUID
        public let assignmentID: UUID
        public let orgID: UUID
        public let orgName: String
        public let kind: String
        public let instructions: String
        public let status: TaskStatus
        public let report: String?
        public let dueAt: Date?
    }

    public struct Extension: Sendable, Equatable {
        public let id: UUID
        public let assignmentID: UUID
        public let days: Int
        public let reason: String
        public let status: String
        public let decisionNote: String?
    }

    /// Cases the user may see, newest first, `limit` at a time: created before `before`, and
    /// following the case `after` (the last of the previous page) in that order. Cases filed
    /// in one group share their creation instant, so the order breaks ties by id and the
    /// page goes on from the case itself, never from its (rounded) time.
    public func list(
        _ context: TenantContext, status: CaseStatus? = nil, limit: Int = 50, before: Date? = nil, after lastSeen: UUID? = nil
    ) async throws -> [Summary] {
        guard (1...200).contains(limit) else { throw StoreFailure.invalid("limit 应在1–200之间") }
        return try await store.withTenant(context, readOnly: true) { transaction in
            if let lastSeen, try await transaction.query("SELECT 1 FROM cases WHERE id = \(lastSeen)").isEmpty {
                throw StoreFailure.invalid("beforeCase 不是您可以查看的案件")
            }
            return try await transaction.query("""
                \(Self.selectSummary)
                WHERE c.case_number IS NOT NULL AND (\(status?.rawValue)::case_status IS NULL OR c.status = \(status?.rawValue)::case_status)
                  AND (\(before)::timestamptz IS NULL OR c.created_at < \(before))
                  AND (\(lastSeen)::uuid IS NULL OR (c.created_at, c.id) < (SELECT created_at, id FROM cases WHERE id = \(lastSeen)))
                ORDER BY c.created_at DESC, c.id DESC LIMIT \(literal: limit)
                """).map(Self.summary)
        }
    }

    /// One case with its timeline; `reveal` opens the applicant's personal data (audited).
    public func detail(_ context: TenantContext, id: UUID, reveal: Bool = false) async throws -> Detail {
        if reveal {
            try context.require(anyOf: Self.mayReveal, "您的角色只能查看脱敏后的申请人信息。")
        }
        return try await store.withTenant(context, readOnly: !reveal) { transaction in
            guard let row = try await transaction.query("""
                SELECT \(Self.summaryColumns), c.item_version, c.window_id, c.description, c.green_channel_reason,
                       c.hotline_order_number, c.applicant_name, c.applicant_id_number, c.applicant_phone, c.applicant_address,
                       c.applicant_id_masked, c.applicant_phone_masked
                \(Self.summarySource)
                WHERE c.id = \(id) AND c.case_number IS NOT NULL
                """).first else { throw StoreFailure.notFound }
            let summary = try Self.summary(row)
            var applicant: ApplicantView?
            if let maskedName = summary.applicantName {
                if reveal, let name: Data = try row.decode(column: "applicant_name"), let idNumber: Data = try row.decode(column: "applicant_id_number"),
                   let phone: Data = try row.decode(column: "applicant_phone") {
                    let open = { (value: Data, field: String) in try cipher.open(value, countyID: context.countyID, field: "applicant." + field) }
                    let address: Data? = try row.decode(column: "applicant_address")
                    applicant = ApplicantView(name: try open(name, "name"), idNumber: try open(idNumber, "id_number"),
                                              phone: try open(phone, "phone"), address: try address.map { try open($0, "address") },
                                              masked: false)
                    try await transaction.audit("applicant_revealed", objectType: "case", objectID: id.uuidString.lowercased(),
                                                detail: ["case_number": summary.caseNumber])
                } else {
                    applicant = ApplicantView(name: maskedName, idNumber: try row.decode(column: "applicant_id_masked") ?? "",
                                              phone: try row.decode(column: "applicant_phone_masked") ?? "",
                                              address: (try row.decode(Data?.self, column: "applicant_address")) == nil ? nil : "****",
                                              masked: true)
                }
            }
            return Detail(
                summary: summary, itemVersion: (try row.decode(Int32?.self, column: "item_version")).map(Int.init),
                windowID: try row.decode(column: "window_id"), description: try row.decode(column: "description"),
                greenChannelReason: try row.decode(column: "green_channel_reason"),
                hotlineOrderNumber: try row.decode(column: "hotline_order_number"), applicant: applicant,
                handling: try await Self.handling(in: transaction, caseID: id),
                events: try await CaseTimeline.events(in: transaction, caseID: id))
        }
    }

    /// The work waiting for the user, in the order to do it: the center's intake queue
    /// (green channel first, then oldest, §5.2, §6.3.5), the joint office's referrals, a
    /// department's assignments to sign or finish, a township's or village's open field work.
    public func queue(_ context: TenantContext, limit: Int = 100) async throws -> [Summary] {
        guard (1...500).contains(limit) else { throw StoreFailure.invalid("limit 应在1–500之间") }
        let roles = context.roles
        let filter: PostgresQuery
        if !roles.isDisjoint(with: [.centerManager, .centerAgent]) {
            // New applications, and the joint office's decisions to act on (dispatch or reject).
            filter = "(c.status = 'submitted' OR (c.status = 'joint_review' AND c.joint_decided_at IS NOT NULL))"
        } else if roles.contains(.jointOffice) {
            filter = "c.status = 'joint_review' AND c.joint_decided_at IS NULL"
        } else if !roles.isDisjoint(with: [.departmentManager, .departmentAgent]) {
            filter = """
                EXISTS (SELECT 1 FROM case_assignments a WHERE a.county_id = c.county_id AND a.case_id = c.id
                        AND a.department_id = \(context.departmentID) AND a.status IN ('pending', 'accepted') AND a.superseded_at IS NULL)
                """
        } else if !roles.isDisjoint(with: [.townshipAgent, .villageAgent]) {
            filter = """
                EXISTS (SELECT 1 FROM case_tasks t JOIN case_assignments a ON a.county_id = t.county_id AND a.id = t.assignment_id
                        WHERE t.county_id = c.county_id AND t.case_id = c.id AND t.status = 'open'
                        AND a.status = 'accepted' AND a.superseded_at IS NULL AND t.org_path <@ \(context.orgPath)::ltree)
                """
        } else {
            return []
        }
        return try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                \(Self.selectSummary) WHERE \(filter) ORDER BY c.green_channel DESC, c.created_at LIMIT \(literal: limit)
                """).map(Self.summary)
        }
    }

    static func handling(in transaction: TenantTransaction, caseID: UUID) async throws -> Handling {
        let row = try await transaction.query("""
            SELECT due_at, rejection_reason, referral_reason::text, joint_relief, joint_plan, return_count, summary
            FROM cases WHERE id = \(caseID)
            """).decode((Date?, String?, String?, Bool?, String?, Int32, String?).self)[0]
        let assignments = try await transaction.query("""
            SELECT a.id, a.department_id, d.name, a.status::text, a.lead, a.for_joint_office, a.due_at, a.applicant_notice,
                   a.return_reason, a.outcome::text, a.outcome_content, a.outcome_amount
            FROM case_assignments a JOIN departments d ON d.county_id = a.county_id AND d.id = a.department_id
            WHERE a.case_id = \(caseID) ORDER BY a.lead DESC, d.name
            """).decode((UUID, UUID, String, String, Bool, Bool, Date?, String?, String?, String?, String?, Decimal?).self).map {
            Assignment(id: $0.0, departmentID: $0.1, departmentName: $0.2, status: AssignmentStatus(rawValue: $0.3) ?? .pending,
                       lead: $0.4, forJointOffice: $0.5, dueAt: $0.6, applicantNotice: $0.7, returnReason: $0.8,
                       outcome: $0.9.flatMap(Outcome.init(rawValue:)), outcomeContent: $0.10, outcomeAmount: $0.11)
        }
        let tasks = try await transaction.query("""
            SELECT t.id, t.assignment_id, t.org_id, o.name, t.kind, t.instructions, t.status::text, t.report, t.due_at
            FROM case_tasks t JOIN orgs o ON o.county_id = t.county_id AND o.id = t.org_id
            WHERE t.case_id = \(caseID) ORDER BY t.created_at
            """).decode((UUID, UUID, UUID, String, String, String, String, String?, Date?).self).map {
            Task(id: $0.0, assignmentID: $0.1, orgID: $0.2, orgName: $0.3, kind: $0.4, instructions: $0.5,
                 status: TaskStatus(rawValue: $0.6) ?? .open, report: $0.7, dueAt: $0.8)
        }
        let extensions = try await transaction.query("""
            SELECT id, assignment_id, days, reason, status::text, decision_note FROM case_extensions
            WHERE case_id = \(caseID) ORDER BY requested_at
            """).decode((UUID, UUID, Int32, String, String, String?).self).map {
            Extension(id: $0.0, assignmentID: $0.1, days: Int($0.2), reason: $0.3, status: $0.4, decisionNote: $0.5)
        }
        return Handling(dueAt: row.0, rejectionReason: row.1, referralReason: row.2.flatMap(ReferralReason.init(rawValue:)),
                        jointRelief: row.3, jointPlan: row.4, returnCount: Int(row.5), summary: row.6,
                        assignments: assignments, tasks: tasks, extensions: extensions)
    }

    private static let selectSummary: PostgresQuery = "SELECT \(summaryColumns) \(summarySource)"

    private static let summaryColumns: PostgresQuery = """
        c.id, c.case_number, c.status::text AS status, c.channel::text AS channel, c.item_id, v.name AS item_name, c.title,
        c.org_id, o.name AS org_name, c.applicant_name_masked, c.green_channel, c.possible_duplicate_of, c.return_count,
        c.created_at
        """

    private static let summarySource: PostgresQuery = """
        FROM cases c
        JOIN orgs o ON o.county_id = c.county_id AND o.id = c.org_id
        LEFT JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
        """

    private static func summary(_ row: PostgresRow) throws -> Summary {
        Summary(
            id: try row.decode(column: "id"), caseNumber: try row.decode(column: "case_number"),
            status: CaseStatus(rawValue: try row.decode(column: "status")) ?? .submitted,
            channel: (try row.decode(String?.self, column: "channel")).flatMap(IntakeChannel.init(rawValue:)),
            itemID: try row.decode(column: "item_id"), itemName: try row.decode(column: "item_name"),
            title: try row.decode(column: "title"), orgID: try row.decode(column: "org_id"), orgName: try row.decode(column: "org_name"),
            applicantName: try row.decode(column: "applicant_name_masked"), greenChannel: try row.decode(column: "green_channel"),
            possibleDuplicateOf: try row.decode(column: "possible_duplicate_of"),
            returnCount: Int(try row.decode(Int32.self, column: "return_count")), createdAt: try row.decode(column: "created_at"))
    }
}
