import Foundation
import Postgres
import ReliefDomain

/// Public notices of granted relief (公示, §6.2.1, §6.3.3): item, village, masked name and
/// amount of every grant in a period, shown for a configured number of days. Minors are never
/// listed (reference/policy.md). A notice is a snapshot: later changes do not rewrite it.
public struct PublicNotices: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Entry: Sendable, Equatable, Codable {
        public let itemName: String
        public let villageName: String
        public let applicantName: String
        public let amount: Decimal?
        public let outcome: String
    }

    public struct Notice: Sendable, Equatable {
        public let id: UUID
        public let title: String
        public let periodStart: CalendarDate
        public let periodEnd: CalendarDate
        public let shownUntil: Date
        public let publishedAt: Date
        public let entries: [Entry]
    }

    /// Publishes the grants recorded in `periodStart…periodEnd` (Shanghai dates), shown for `days`.
    public func publish(_ context: TenantContext, title: String, periodStart: CalendarDate, periodEnd: CalendarDate, days: Int) async throws -> Notice {
        try context.require(anyOf: [.centerManager, .centerAgent], "只有救助中心可以发布公示。")
        let title = try Workflow.text(title, "公示标题", 1...200)
        guard periodEnd >= periodStart else { throw StoreFailure.invalid("公示期间的结束日期不能早于开始日期") }
        guard (1...90).contains(days) else { throw StoreFailure.invalid("公示天数应为1–90天") }
        return try await store.withTenant(context) { transaction in
            // Granted or partly granted, done in the period; adults only.
            let entries = try await transaction.query("""
                SELECT v.name, o.name, c.applicant_name_masked, a.outcome_amount, a.outcome::text
                FROM case_assignments a
                JOIN cases c ON c.county_id = a.county_id AND c.id = a.case_id
                JOIN orgs o ON o.county_id = c.county_id AND o.id = c.org_id
                JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
                WHERE a.status = 'done' AND a.outcome IN ('granted', 'partly')
                  AND (a.done_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN \(periodStart) AND \(periodEnd)
                  AND c.applicant_birth_date IS NOT NULL
                  AND c.applicant_birth_date + interval '18 years' <= (now() AT TIME ZONE 'Asia/Shanghai')::date
                ORDER BY o.path, v.name, a.done_at
                """).decode((String, String, String?, Decimal?, String).self).map {
                Entry(itemName: $0.0, villageName: $0.1, applicantName: $0.2 ?? "", amount: $0.3, outcome: $0.4)
            }
            let id = UUID()
            let row = try await transaction.query("""
                INSERT INTO public_notices (county_id, id, title, period_start, period_end, shown_until, published_by, entries)
                VALUES (\(context.countyID), \(id), \(title), \(periodStart), \(periodEnd),
                        now() + make_interval(days => \(Int32(days))), \(context.userID), \(json: entries))
                RETURNING shown_until, published_at
                """).decode((Date, Date).self)[0]
            try await transaction.audit("notice_published", objectType: "public_notice", objectID: id.uuidString.lowercased(),
                                        detail: ["entries": String(entries.count)])
            return Notice(id: id, title: title, periodStart: periodStart, periodEnd: periodEnd, shownUntil: row.0,
                          publishedAt: row.1, entries: entries)
        }
    }

    /// The notices still shown, newest first, for anyone.
    public func current(countyID: UUID) async throws -> [Notice] {
        try await store.withChannel(.online, countyID: countyID) { transaction in
            try await transaction.query("""
                SELECT id, title, period_start, period_end, shown_until, published_at, entries FROM public_notices
                WHERE shown_until > now() ORDER BY published_at DESC LIMIT 50
                """).decode((UUID, String, CalendarDate, CalendarDate, Date, Date, PostgresJSON<[Entry]>).self).map {
                Notice(id: $0.0, title: $0.1, periodStart: $0.2, periodEnd: $0.3, shownUntil: $0.4, publishedAt: $0.5, entries: $0.6.value)
            }
        }
    }
}
