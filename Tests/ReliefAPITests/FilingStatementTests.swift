import Foundation
import Postgres
import ReliefStore
import Testing

/// `file_applications()` (sql/migrations/0017) called directly, as the online channel calls
/// it through the store, on a county set up over the API: what one group statement files,
/// refuses and flags, whatever groups the timing of requests makes.
@Suite("The group filing statement")
struct FilingStatementTests {
    struct Row {
        var item = "dibao"
        var place = IntakeCounty.villageACode
        var lookup: String
    }

    static func statement(_ rows: [Row], caseIDs: [UUID], dropLastPlace: Bool = false) -> PostgresQuery {
        let sealed = rows.map { _ in Data([1, 2, 3]) }
        let places = dropLastPlace ? Array(rows.map(\.place).dropLast()) : rows.map(\.place)
        return """
            SELECT case_id, refusal, case_number, possible_duplicate_of FROM file_applications(
                'online'::intake_channel, NULL, NULL, '网上申请',
                \(caseIDs), \(rows.map { _ in UUID?.none }), \(rows.map(\.item)), \(rows.map { _ in UUID?.none }), \(places),
                \(rows.map { _ in "家庭困难" }), \(rows.map { _ in String?.none }),
                \(sealed), \(sealed), \(sealed), \(rows.map { _ in Data?.none }),
                \(rows.map { _ in "张*" }), \(rows.map { _ in "3202**********0011" }), \(rows.map { _ in "138****1234" }),
                \(rows.map { Data($0.lookup.utf8) }), \(rows.map { _ in CalendarDate(year: 1980, month: 1, day: 1) }),
                \(rows.map { _ in Data(repeating: 7, count: 32) }), \(rows.map { _ in String?.none }))
            """
    }

    @Test("§5.1.2: a group files its good applications in order, refuses the bad ones alone, and flags a repeat within the group and after it")
    func group() async throws {
        try await APITester.run { api in
            _ = try await IntakeCounty.make(api)
            let store = Store(pool: api.counties.pool)
            let countyID = try #require(try await store.county(code: APITester.jiangyin)).id
            let rows = [Row(lookup: "A"), Row(item: "lottery", lookup: "B"), Row(place: "320281999999", lookup: "C"),
                        Row(lookup: "A"), Row(item: "linshi", lookup: "D")]
            let ids = rows.map { _ in UUID() }
            let answer = try await store.runAsChannel(.online, countyID: countyID, Self.statement(rows, caseIDs: ids))
                .decode((UUID, String?, String?, UUID?).self)
            #expect(answer.map(\.0) == ids, "a row per application, in the order sent")
            #expect(answer.map(\.1) == [nil, "RLI01", "RLI02", nil, nil])
            #expect(answer[1].2 == nil && answer[2].2 == nil, "refused applications take no number")
            let numbers = [answer[0].2, answer[3].2, answer[4].2].compactMap { $0 }
            #expect(numbers.count == 3 && numbers == numbers.sorted() && Set(numbers).count == 3, "numbered in arrival order: \(numbers)")
            #expect(answer[0].3 == nil && answer[4].3 == nil)
            #expect(answer[3].3 == ids[0], "the second application of A for the same item is flagged against the first")
            #expect(try await api.caseCount() == 3)
            #expect(try await api.ownerCount("SELECT count(*) FROM case_events WHERE action = 'submitted'") == 3)
            #expect(try await api.ownerCount("SELECT count(*) FROM job_queue.jobs WHERE kind = 'sla.sync'") == 3)
            #expect(try await api.ownerCount("""
                SELECT count(*) FROM cases c JOIN orgs o ON o.county_id = c.county_id AND o.id = c.org_id
                WHERE c.org_path = o.path AND c.channel = 'online' AND c.created_by IS NULL
                """) == 3)

            // Later, A applies again: flagged against the oldest open case, not the group's second.
            let later = UUID()
            let again = try await store.runAsChannel(.online, countyID: countyID, Self.statement([Row(lookup: "A")], caseIDs: [later]))
                .decode((UUID, String?, String?, UUID?).self)
            #expect(again.first?.3 == ids[0])

            // Arrays of different lengths are refused whole: nothing is filed from them.
            let error = await #expect(throws: PostgresServerError.self) {
                try await store.runAsChannel(.online, countyID: countyID,
                                             Self.statement([Row(lookup: "E"), Row(lookup: "F")], caseIDs: [UUID(), UUID()], dropLastPlace: true))
            }
            #expect(error?.code == "22023")
            #expect(try await api.caseCount() == 4)
        }
    }
}
