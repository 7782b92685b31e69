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

/// Numbers count per county (the county's code, the day, its own serial): a county's numbers
/// tell nothing of another's.
@Suite("Numbers per county")
struct NumbersPerCountyTests {
    @Test("each county numbers its cases and feedback from 1, whatever the other county filed")
    func perCounty() async throws {
        try await APITester.run(counties: [(APITester.jiangyin, "江阴市"), (APITester.yixing, "宜兴市")]) { api in
            _ = try await IntakeCounty.make(api)  // its places
            var jiangyinNumbers: [String] = []
            for sequence in 41...43 {
                let reply = try await api.send(.post, "/api/v1/public/applications",
                                               json: OnlineApplicationEndpointTests.application(applicant: APITester.applicant(ResidentIDs.number(sequence))))
                jiangyinNumbers.append(try #require(reply.string("caseNumber")))
            }
            #expect(jiangyinNumbers.map { $0.suffix(7) } == ["0000001", "0000002", "0000003"], "\(jiangyinNumbers)")

            let yixingManager = try await api.signIn(county: APITester.yixing)
            let yixingCounty = try await api.countyOrgID(yixingManager)
            let township = try await api.createOrg(yixingManager, tier: "township", divisionCode: "320282100000", name: "宜城街道",
                                                   parentID: yixingCounty)
            _ = try await api.createOrg(yixingManager, tier: "village", divisionCode: "320282100201", name: "城中社区",
                                                  parentID: township)
            let yixing = try await api.send(.post, "/api/v1/public/applications",
                                            json: OnlineApplicationEndpointTests.application(county: APITester.yixing, placeCode: "320282100201",
                                                                                            applicant: APITester.applicant(ResidentIDs.number(44))))
            #expect(yixing.status == .created, "\(String(decoding: yixing.body, as: UTF8.self))")
            #expect(yixing.string("caseNumber")?.hasPrefix("320282-") == true && yixing.string("caseNumber")?.hasSuffix("-0000001") == true,
                    "\(yixing.string("caseNumber") ?? "-")")

            for (county, expected) in [(APITester.yixing, "320282-FK-0000001"), (APITester.jiangyin, "320281-FK-0000001"),
                                       (APITester.yixing, "320282-FK-0000002")] {
                let filed = try await api.send(.post, "/api/v1/public/feedback",
                                               json: ["county": county, "kind": "suggestion", "subject": "建议", "content": "延长开放时间"])
                #expect(filed.string("feedbackNumber") == expected)
            }
        }
    }
}
