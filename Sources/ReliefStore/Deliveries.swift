import Foundation
import Postgres
import ReliefDomain

/// The job runner's side of the outbox: what one row asks to deliver, with what it takes to
/// deliver it (the applicant's phone, opened and audited; the county's 12345 callback URL
/// and secret), and the record of how it went, on the row and on the case's timeline.
public struct Deliveries: Sendable {
    public enum Kind: String, Sendable {
        case applicantNotice = "applicant_notice"
        case hotlineCallback = "hotline_callback"
    }

    public enum Outcome: String, Sendable {
        case delivered, skipped, failed
    }

    public struct Item: Sendable {
        public let countyID: UUID
        public let outboxID: Int64
        public let caseID: UUID?
        public let kind: Kind
        /// The message as the change wrote it (case number, text or status).
        public let payload: [String: String]
        public let outcome: Outcome?
        public let attempts: Int
        /// For an applicant notice: the applicant's phone, if they gave one.
        public let phone: String?
        /// For a 12345 callback: where it goes and the secret that signs it.
        public let callbackURL: String?
        public let callbackSecret: String?
    }

    /// The job that delivers one outbox row (enqueued with the row, `Outbox.add`).
    public static let jobKind = "outbox.deliver"
    public static let queue = "delivery"
    public struct JobPayload: Codable, Sendable {
        public let countyID: UUID
        public let outboxID: Int64
    }

    private let store: Store
    private let cipher: PersonalDataCipher

    public init(store: Store, cipher: PersonalDataCipher) {
        self.store = store
        self.cipher = cipher
    }

    /// The row and what delivering it needs; nil if it does not exist.
    public func item(countyID: UUID, outboxID: Int64) async throws -> Item? {
        try await store.withJobRunner(countyID: countyID) { transaction in
            guard let row = try await transaction.query("""
                SELECT o.case_id, o.kind, o.payload, o.outcome::text, o.attempts, c.applicant_phone,
                       h.callback_url, h.secret
                FROM outbox o
                LEFT JOIN cases c ON c.county_id = o.county_id AND c.id = o.case_id
                LEFT JOIN hotline_integrations h ON h.county_id = o.county_id AND o.kind = 'hotline_callback'
                WHERE o.id = \(outboxID)
                """).first else { return nil }
            let (caseID, kindText, payload, outcome, attempts, sealedPhone, callbackURL, sealedSecret) =
                try row.decode((UUID?, String, PostgresJSON<[String: String]>, String?, Int32, Data?, String?, Data?).self)
            guard let kind = Kind(rawValue: kindText) else { return nil }
            var phone: String?
            if kind == .applicantNotice, outcome == nil || outcome == Outcome.failed.rawValue, let sealedPhone {
                phone = try cipher.open(sealedPhone, countyID: countyID, field: "applicant.phone")
                try await transaction.audit("reveal_for_delivery", objectType: "case", objectID: caseID?.uuidString.lowercased(),
                                            detail: ["fields": "phone", "outbox": String(outboxID)])
            }
            let secret = try sealedSecret.map { try cipher.open($0, countyID: countyID, field: "hotline.secret") }
            return Item(countyID: countyID, outboxID: outboxID, caseID: caseID, kind: kind, payload: payload.value,
                        outcome: outcome.flatMap(Outcome.init(rawValue:)), attempts: Int(attempts), phone: phone,
                        callbackURL: callbackURL, callbackSecret: secret)
        }
    }

    /// Records how delivery ended, once: a row delivered or skipped keeps its outcome; one that
    /// failed takes the outcome of the retry staff asked for.
    @discardableResult
    public func record(_ item: Item, outcome: Outcome, detail: String) async throws -> Bool {
        try await store.withJobRunner(countyID: item.countyID) { transaction in
            let changed = try await transaction.execute("""
                UPDATE outbox SET outcome = \(outcome.rawValue)::delivery_outcome, delivered_at = now(),
                                  attempts = attempts + \(outcome == .skipped ? 0 : 1), detail = \(String(detail.prefix(2000))),
                                  last_error = CASE WHEN \(outcome.rawValue) = 'failed' THEN \(String(detail.prefix(2000))) ELSE last_error END
                WHERE id = \(item.outboxID) AND (outcome IS NULL OR outcome = 'failed')
                """)
            guard changed == 1 else { return false }
            if let caseID = item.caseID {
                try await CaseTimeline.append(
                    in: transaction, caseID: caseID, action: Self.action(item.kind, outcome), from: nil, to: nil,
                    actor: .init(userID: nil, label: "系统"), reason: nil, visibleToApplicant: false,
                    detail: ["outbox": String(item.outboxID), "detail": String(detail.prefix(500))])
            }
            return true
        }
    }

    /// Records a failed attempt that will be tried again.
    public func recordAttempt(_ item: Item, error: String) async throws {
        _ = try await store.withJobRunner(countyID: item.countyID) { transaction in
            try await transaction.execute("""
                UPDATE outbox SET attempts = attempts + 1, last_error = \(String(error.prefix(2000)))
                WHERE id = \(item.outboxID) AND (outcome IS NULL OR outcome = 'failed')
                """)
        }
    }

    static func action(_ kind: Kind, _ outcome: Outcome) -> String {
        switch (kind, outcome) {
        case (.applicantNotice, .delivered): "notice_delivered"
        case (.applicantNotice, .skipped): "notice_skipped"
        case (.applicantNotice, .failed): "notice_failed"
        case (.hotlineCallback, .delivered): "callback_delivered"
        case (.hotlineCallback, .skipped): "callback_skipped"
        case (.hotlineCallback, .failed): "callback_failed"
        }
    }
}
