import Foundation
import Postgres
import ReliefDomain

/// A case's timeline (全过程跟踪, §6.1.2.2): every step with who acted, from which org, when,
/// from which state to which, and why. Appended in the transaction of the change it records.
public enum CaseTimeline {
    public struct Actor: Sendable, Equatable {
        public let userID: UUID?
        /// Who acted when no user did: 网上申请, 12345热线.
        public let label: String?

        public init(userID: UUID?, label: String?) {
            self.userID = userID
            self.label = label
        }
    }

    public struct Event: Sendable, Equatable {
        public let id: Int64
        public let at: Date
        public let actorUserID: UUID?
        /// The user's name, or the channel's (网上申请, 12345热线) when no user acted.
        public let actorName: String?
        public let actorOrgName: String?
        public let action: String
        public let fromStatus: CaseStatus?
        public let toStatus: CaseStatus?
        public let reason: String?
        public let visibleToApplicant: Bool
        public let detail: [String: String]
    }

    /// Appends one event; a user's org is taken from the context, not from the caller.
    static func append(
        in transaction: TenantTransaction, caseID: UUID, action: String, from: CaseStatus?, to: CaseStatus?,
        actor: Actor, reason: String?, visibleToApplicant: Bool, detail: [String: String] = [:]
    ) async throws {
        try await transaction.execute("""
            INSERT INTO case_events (county_id, case_id, actor_user_id, actor_org_id, actor_label, action, from_status, to_status,
                                     reason, visible_to_applicant, detail)
            VALUES (current_setting('app.county_id')::uuid, \(caseID), \(actor.userID),
                    CASE WHEN \(actor.userID) IS NOT NULL THEN (SELECT id FROM orgs WHERE path = (SELECT app_org_path())) END,
                    \(actor.label), \(action), \(from?.rawValue)::case_status, \(to?.rawValue)::case_status, \(reason),
                    \(visibleToApplicant), \(json: detail))
            """)
        // What a person does to a case is also in the county's hash-chained audit log, with where
        // they acted from; the timeline is the case's story, the log the county's evidence.
        if actor.userID != nil, !auditedElsewhere.contains(action) {
            var entry = detail
            entry["from_status"] = from?.rawValue
            entry["to_status"] = to?.rawValue
            try await transaction.audit("case_" + action, objectType: "case", objectID: caseID.uuidString.lowercased(), detail: entry,
                                        actor: actor.userID)
        }
    }

    /// Events whose action writes its own audit entry.
    private static let auditedElsewhere: Set<String> = ["material_uploaded", "material_reviewed"]

    /// The case's events in order, as whoever may read the case sees them.
    static func events(in transaction: TenantTransaction, caseID: UUID, applicantOnly: Bool = false) async throws -> [Event] {
        try await transaction.query("""
            SELECT e.id, e.at, e.actor_user_id, coalesce(u.display_name, e.actor_label), o.name, e.action, e.from_status::text, e.to_status::text, e.reason,
                   e.visible_to_applicant, e.detail
            FROM case_events e
            LEFT JOIN users u ON u.county_id = e.county_id AND u.id = e.actor_user_id
            LEFT JOIN orgs o ON o.county_id = e.county_id AND o.id = e.actor_org_id
            WHERE e.case_id = \(caseID) AND (NOT \(applicantOnly) OR e.visible_to_applicant)
            ORDER BY e.id
            """).decode((Int64, Date, UUID?, String?, String?, String, String?, String?, String?, Bool, PostgresJSON<[String: String]>).self)
            .map { row in
                Event(id: row.0, at: row.1, actorUserID: row.2, actorName: row.3, actorOrgName: row.4, action: row.5,
                      fromStatus: row.6.flatMap(CaseStatus.init(rawValue:)), toStatus: row.7.flatMap(CaseStatus.init(rawValue:)),
                      reason: row.8, visibleToApplicant: row.9, detail: row.10.value)
            }
    }
}
