import Foundation
import Testing

/// The case list pages newest first and reaches every case once, also the cases of one filing
/// group, which share their creation instant.
@Suite("Case list paging over HTTP")
struct CaseListEndpointTests {
    @Test("paging by beforeCase reaches every case exactly once when cases share their createdAt; an unknown beforeCase is 400")
    func pagingThroughTies() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            for sequence in 31...37 {
                let reply = try await api.send(.post, "/api/v1/public/applications",
                                               json: OnlineApplicationEndpointTests.application(applicant: APITester.applicant(ResidentIDs.number(sequence))))
                #expect(reply.status == .created)
            }
            // As a filing group leaves them: one instant, below the second the API shows.
            let tied = try await api.ownerCount(
                "WITH tied AS (UPDATE cases SET created_at = '2026-11-30 10:00:00.123456+00' RETURNING 1) SELECT count(*) FROM tied")
            #expect(tied == 7)

            var seen: [String] = []
            var pages: [Int] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&beforeCase=\($0)" } ?? ""
                let page = try await api.send(.get, "/api/v1/cases?limit=3\(query)", token: county.manager)
                #expect(page.status == .ok)
                let ids = page.array.compactMap { $0["id"] as? String }
                pages.append(ids.count)
                seen += ids
                cursor = ids.last
            } while cursor != nil && pages.count < 10
            #expect(pages == [3, 3, 1, 0])
            #expect(Set(seen).count == 7 && seen.count == 7)

            let unknown = try await api.send(.get, "/api/v1/cases?beforeCase=\(UUID().uuidString)", token: county.manager)
            #expect(unknown.status == .badRequest && unknown.isProblem)
            let malformed = try await api.send(.get, "/api/v1/cases?beforeCase=not-an-id", token: county.manager)
            #expect(malformed.status == .badRequest)
        }
    }
}
