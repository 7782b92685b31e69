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
        public let events: [CaseTimeline.Event]
    }

    /// Cases the user may see, newest first, `limit` at a time before `before` (a case number
    /// cursor from the previous page).
    public func list(_ context: TenantContext, status: CaseStatus? = nil, limit: Int = 50, before: Date? = nil) async throws -> [Summary] {
        guard (1...200).contains(limit) else { throw StoreFailure.invalid("limit 应在1–200之间") }
        return try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                \(Self.selectSummary)
                WHERE c.case_number IS NOT NULL AND (\(status?.rawValue)::case_status IS NULL OR c.status = \(status?.rawValue)::case_status)
                  AND (\(before)::timestamptz IS NULL OR c.created_at < \(before))
                ORDER BY c.created_at DESC LIMIT \(Int32(limit))
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
                events: try await CaseTimeline.events(in: transaction, caseID: id))
        }
    }

    private static let selectSummary: PostgresQuery = "SELECT \(summaryColumns) \(summarySource)"

    private static let summaryColumns: PostgresQuery = """
        c.id, c.case_number, c.status::text AS status, c.channel::text AS channel, c.item_id, v.name AS item_name, c.title,
        c.org_id, o.name AS org_name, c.applicant_name_masked, c.green_channel, c.possible_duplicate_of, c.created_at
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
            possibleDuplicateOf: try row.decode(column: "possible_duplicate_of"), createdAt: try row.decode(column: "created_at"))
    }
}
