import Foundation
import Postgres
import ReliefDomain

/// Complaints, suggestions and praise (§6.2.1, §6.3.6), about a case or about the service.
/// Citizens file them online and read the answer with the number and query code they get;
/// the center answers each within its time limit.
public struct Feedback: Sendable {
    public let store: Store
    public let cipher: PersonalDataCipher
    /// How long the center has to answer.
    public let answerWithin: Duration

    public init(store: Store, cipher: PersonalDataCipher, answerWithin: Duration = .seconds(7 * 86_400)) {
        self.store = store
        self.cipher = cipher
        self.answerWithin = answerWithin
    }

    public enum Kind: String, Sendable, CaseIterable {
        case complaint, suggestion, praise
    }

    public enum Status: String, Sendable, CaseIterable {
        case open, answered, closed
    }

    public struct Submission: Sendable {
        public var kind: Kind
        /// The case it is about, by the number the citizen holds.
        public var caseNumber: String?
        public var subject: String
        public var content: String
        public var contactName: String?
        public var contactPhone: String?

        public init(kind: Kind, caseNumber: String?, subject: String, content: String, contactName: String?, contactPhone: String?) {
            self.kind = kind
            self.caseNumber = caseNumber
            self.subject = subject
            self.content = content
            self.contactName = contactName
            self.contactPhone = contactPhone
        }
    }

    public struct Receipt: Sendable, Equatable {
        public let id: UUID
        public let feedbackNumber: String
        public let queryCode: String
        public let dueAt: Date
    }

    public struct Entry: Sendable, Equatable {
        public let id: UUID
        public let feedbackNumber: String
        public let kind: Kind
        public let caseID: UUID?
        public let caseNumber: String?
        public let subject: String
        public let content: String
        public let contactName: String?
        public let contactPhone: String?
        public let status: Status
        public let dueAt: Date
        public let answer: String?
        public let answeredAt: Date?
        public let createdAt: Date
    }

    /// A citizen files feedback online, without an account.
    public func submit(countyID: UUID, _ submission: Submission) async throws -> Receipt {
        let subject = submission.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        let content = submission.content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(subject.count) else { throw StoreFailure.invalid("标题应为1–200个字符") }
        guard (1...4000).contains(content.count) else { throw StoreFailure.invalid("内容应为1–4000个字符") }
        let name = submission.contactName?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        let phone = submission.contactPhone?.filter { !$0.isWhitespace }.nilIfEmpty
        if let name, name.count > 50 { throw StoreFailure.invalid("联系人姓名不能超过50个字符") }
        if let phone, !(7...20).contains(phone.count) || !phone.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) {
            throw StoreFailure.invalid("联系电话格式不正确")
        }
        let queryCode = QueryCode.generate()
        return try await store.withChannel(.online, countyID: countyID) { transaction in
            var caseID: UUID?
            if let number = submission.caseNumber?.trimmingCharacters(in: .whitespaces).nilIfEmpty {
                // The channel cannot read cases; this answers only whether the number exists.
                caseID = try await transaction.query("SELECT case_id_by_number(\(number))").scalar(UUID?.self) ?? nil
                guard caseID != nil else { throw StoreFailure.invalid("没有编号为 \(number) 的申请") }
            }
            let id = UUID()
            let (number, dueAt) = try await transaction.query("""
                SELECT left(county_division_code(), 6) || '-FK-' || lpad(county_serial('feedback')::text, 7, '0'),
                       now() + make_interval(secs => \(Double(answerWithin.components.seconds)))
                """).decode((String, Date).self).first!
            let seal = { (value: String, field: String) in try cipher.seal(value, countyID: countyID, field: "feedback." + field) }
            try await transaction.execute("""
                INSERT INTO feedback (county_id, id, feedback_number, kind, case_id, subject, content, contact_name, contact_phone,
                                      contact_phone_masked, query_code_hash, due_at)
                VALUES (\(countyID), \(id), \(number), \(submission.kind.rawValue)::feedback_kind, \(caseID), \(subject), \(content),
                        \(try name.map { try seal($0, "contact_name") }), \(try phone.map { try seal($0, "contact_phone") }),
                        \(phone.map(Masking.phone)), \(QueryCodeHash.digest(of: queryCode)), \(dueAt))
                """)
            return Receipt(id: id, feedbackNumber: number, queryCode: queryCode, dueAt: dueAt)
        }
    }

    /// The citizen reads their feedback and its answer with the number and code.
    public func lookUp(countyID: UUID, feedbackNumber: String, queryCode: String) async throws -> Entry {
        guard let code = QueryCode.normalized(queryCode) else { throw StoreFailure.notFound }
        return try await store.withLookup(countyID: countyID, number: feedbackNumber, queryCode: code) { transaction in
            guard let entry = try await transaction.query("\(Self.selectEntry) WHERE f.feedback_number = \(feedbackNumber)")
                .first.map({ try entry($0, countyID: countyID) }) else { throw StoreFailure.notFound }
            return entry
        }
    }

    /// Feedback for the center to answer: open first, soonest due first.
    public func list(_ context: TenantContext, status: Status?) async throws -> [Entry] {
        try context.require(anyOf: Role.countyWide, "只有救助中心、联席会议办公室和审计员可以查看投诉建议。")
        return try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                \(Self.selectEntry) WHERE (\(status?.rawValue)::feedback_status IS NULL OR f.status = \(status?.rawValue)::feedback_status)
                ORDER BY f.status, f.due_at LIMIT 500
                """).map { try entry($0, countyID: context.countyID) }
        }
    }

    /// The center answers; the citizen reads the answer with their number and code.
    public func answer(_ context: TenantContext, id: UUID, answer: String) async throws -> Entry {
        try context.require(anyOf: [.centerManager, .centerAgent], "只有救助中心可以答复投诉建议。")
        let answer = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4000).contains(answer.count) else { throw StoreFailure.invalid("答复应为1–4000个字符") }
        return try await store.withTenant(context) { transaction in
            guard let status = try await transaction.query("SELECT status::text FROM feedback WHERE id = \(id) FOR UPDATE")
                .scalar(String.self) else { throw StoreFailure.notFound }
            guard status == Status.open.rawValue else { throw StoreFailure.conflict("该投诉建议已答复") }
            try await transaction.execute("""
                UPDATE feedback SET status = 'answered', answer = \(answer), answered_by = \(context.userID), answered_at = now()
                WHERE id = \(id)
                """)
            try await transaction.audit("feedback_answered", objectType: "feedback", objectID: id.uuidString.lowercased())
            return try await transaction.query("\(Self.selectEntry) WHERE f.id = \(id)").first
                .map { try entry($0, countyID: context.countyID) }!
        }
    }

    /// Closes answered feedback: the center is done with it. Open feedback is answered first,
    /// so that no complaint is closed without an answer the citizen can read.
    public func close(_ context: TenantContext, id: UUID) async throws -> Entry {
        try context.require(anyOf: [.centerManager, .centerAgent], "只有救助中心可以办结投诉建议。")
        return try await store.withTenant(context) { transaction in
            guard let status = try await transaction.query("SELECT status::text FROM feedback WHERE id = \(id) FOR UPDATE")
                .scalar(String.self) else { throw StoreFailure.notFound }
            switch Status(rawValue: status) {
            case .answered: break
            case .closed: throw StoreFailure.conflict("该投诉建议已办结")
            default: throw StoreFailure.conflict("请先答复，再办结")
            }
            try await transaction.execute("UPDATE feedback SET status = 'closed' WHERE id = \(id)")
            try await transaction.audit("feedback_closed", objectType: "feedback", objectID: id.uuidString.lowercased())
            return try await transaction.query("\(Self.selectEntry) WHERE f.id = \(id)").first
                .map { try entry($0, countyID: context.countyID) }!
        }
    }

    private static let selectEntry: PostgresQuery = """
        SELECT f.id, f.feedback_number, f.kind::text AS kind, f.case_id, c.case_number, f.subject, f.content, f.contact_name,
               f.contact_phone_masked, f.status::text AS status, f.due_at, f.answer, f.answered_at, f.created_at
        FROM feedback f LEFT JOIN cases c ON c.county_id = f.county_id AND c.id = f.case_id
        """

    private func entry(_ row: PostgresRow, countyID: UUID) throws -> Entry {
        let sealedName: Data? = try row.decode(column: "contact_name")
        return Entry(
            id: try row.decode(column: "id"), feedbackNumber: try row.decode(column: "feedback_number"),
            kind: Kind(rawValue: try row.decode(column: "kind")) ?? .complaint, caseID: try row.decode(column: "case_id"),
            caseNumber: try row.decode(column: "case_number"), subject: try row.decode(column: "subject"),
            content: try row.decode(column: "content"),
            contactName: try sealedName.map { Masking.name(try cipher.open($0, countyID: countyID, field: "feedback.contact_name")) },
            contactPhone: try row.decode(column: "contact_phone_masked"),
            status: Status(rawValue: try row.decode(column: "status")) ?? .open, dueAt: try row.decode(column: "due_at"),
            answer: try row.decode(column: "answer"), answeredAt: try row.decode(column: "answered_at"),
            createdAt: try row.decode(column: "created_at"))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
