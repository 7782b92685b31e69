import Foundation
import HTTPTypes
import Testing

/// What citizens do without an account: read the catalog and apply online
/// (DB32/T 4012-2021 §5.1.2, §6.2.1), within a per-client rate limit.
@Suite("Online applications over HTTP")
struct OnlineApplicationEndpointTests {
    static func application(county: String = APITester.jiangyin, itemCode: String = "dibao",
                            placeCode: String = IntakeCounty.villageACode,
                            applicant: JSONBody = APITester.applicant(ResidentIDs.number(21))) -> JSONBody {
        ["county": county, "itemCode": itemCode, "placeCode": placeCode, "applicant": applicant,
         "description": "父亲因病丧失劳动能力，家庭无稳定收入。"]
    }

    @Test("§5.1.2, §6.2.1: without signing in, a citizen reads the county's items with their materials and the places")
    func publicCounty() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let reply = try await api.send(.get, "/api/v1/public/counties/\(APITester.jiangyin)")
            #expect(reply.status == .ok)
            #expect(reply.string("divisionCode") == APITester.jiangyin && reply.string("name") == "江阴市")
            let items = reply.object["items"] as? [[String: Any]] ?? []
            #expect(items.count == 9, "the public catalog lists the county's 9 current items")
            #expect(Set(items.compactMap { $0["code"] as? String }) == Set(county.itemIDs.keys))
            for item in items {
                #expect((item["departmentName"] as? String)?.isEmpty == false)
                #expect((item["materials"] as? [[String: Any]])?.isEmpty == false)
                #expect(item["id"] == nil && item["process"] == nil, "only what a citizen needs")
            }
            let places = reply.object["places"] as? [[String: Any]] ?? []
            #expect(Set(places.compactMap { $0["divisionCode"] as? String })
                    == [IntakeCounty.townshipCode, IntakeCounty.villageACode, IntakeCounty.villageBCode])
            let village = places.first { $0["divisionCode"] as? String == IntakeCounty.villageACode }
            #expect(village?["tier"] as? String == "village" && village?["name"] as? String == "东门社区")
            #expect(village?["parentDivisionCode"] as? String == IntakeCounty.townshipCode)

            // A retired item is no longer offered.
            _ = try await api.send(.post, "/api/v1/catalog/items/\(county.dibao)/retire", token: county.manager)
            let after = try await api.send(.get, "/api/v1/public/counties/\(APITester.jiangyin)")
            #expect((after.object["items"] as? [[String: Any]])?.count == 8)
            #expect((after.object["items"] as? [[String: Any]])?.contains { $0["code"] as? String == "dibao" } == false)

            for unknown in ["320299000000", "abc"] {
                let missing = try await api.send(.get, "/api/v1/public/counties/\(unknown)")
                #expect(missing.status == .notFound && missing.isProblem, "\(unknown)")
            }
        }
    }

    @Test("§5.1.2: an online application without an account answers 201 with case number and query code; staff see it with channel online")
    func applyOnline() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let idNumber = ResidentIDs.number(21)
            let reply = try await api.send(.post, "/api/v1/public/applications", json: Self.application())
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            let caseNumber = try #require(reply.string("caseNumber"))
            #expect(caseNumber.hasPrefix("320281-"))
            #expect(reply.string("queryCode")?.count == 8)
            #expect(reply.string("itemName")?.isEmpty == false && apiDate(reply.object["submittedAt"]) != nil)
            #expect(reply.object["caseId"] == nil, "citizens get no internal id")

            let list = try await api.send(.get, "/api/v1/cases", token: county.manager).array
            #expect(list.count == 1)
            let summary = try #require(list.first)
            #expect(summary["caseNumber"] as? String == caseNumber && summary["channel"] as? String == "online")
            #expect(summary["orgId"] as? String == county.villageA && summary["itemId"] as? String == county.dibao)
            #expect(summary["status"] as? String == "submitted")
            let caseID = try #require(summary["id"] as? String)
            let detail = try await api.send(.get, "/api/v1/cases/\(caseID)?reveal=true", token: county.manager)
            #expect(detail.object["windowId"] == nil)
            #expect((detail.object["applicant"] as? [String: Any])?["idNumber"] as? String == idNumber)
            let opening = (detail.object["events"] as? [[String: Any]])?.first
            #expect(opening?["action"] as? String == "submitted" && opening?["toStatus"] as? String == "submitted")
            #expect(opening?["actorName"] as? String == "网上申请", "no user acted: the channel is named")
            #expect((opening?["detail"] as? [String: String])?["channel"] == "online")

            // The place decides who below the county sees it: village A's agent does, village B's does not.
            let agentA = try await api.createUser(county.manager, username: "dongmen.agent", orgID: county.villageA, roles: ["village_agent"]).token
            #expect(try await api.send(.get, "/api/v1/cases/\(caseID)", token: agentA).status == .ok)
            let agentB = try await api.createUser(county.manager, username: "ximen.agent", orgID: county.villageB, roles: ["village_agent"]).token
            #expect(try await api.send(.get, "/api/v1/cases/\(caseID)", token: agentB).status == .notFound)

            // A second online application of the same person for the same item is flagged, not merged.
            let again = try await api.send(.post, "/api/v1/public/applications", json: Self.application())
            #expect(again.status == .created && again.string("caseNumber") != caseNumber)
            let cases = try await api.send(.get, "/api/v1/cases", token: county.manager).array
            #expect(cases.count == 2)
            #expect(cases.first { $0["caseNumber"] as? String == again.string("caseNumber") }?["possibleDuplicateOf"] as? String == caseID)

            // The reason is filed as the citizen meant it, without the spaces and lines around it.
            let padded = try await api.send(.post, "/api/v1/public/applications", json: Self.application(
                applicant: APITester.applicant(ResidentIDs.number(22))).merging(["description": " \n 家中困难，急需救助。 \n"]) { $1 })
            #expect(padded.status == .created)
            let paddedCase = try await api.send(.get, "/api/v1/cases", token: county.manager).array
                .first { $0["caseNumber"] as? String == padded.string("caseNumber") }?["id"] as? String
            let paddedDetail = try await api.send(.get, "/api/v1/cases/\(try #require(paddedCase))", token: county.manager)
            #expect(paddedDetail.object["description"] as? String == "家中困难，急需救助。")
        }
    }

    @Test("§5.1.2: an unknown county answers 404, a bad place, item or applicant 400, and no case is created")
    func invalidOnlineApplication() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let unknownCounty = try await api.send(.post, "/api/v1/public/applications", json: Self.application(county: "320299000000"))
            #expect(unknownCounty.status == .notFound && unknownCounty.isProblem)
            let invalid: [(String, JSONBody)] = [
                ("unknown place", Self.application(placeCode: "320281999999")),
                ("malformed place", Self.application(placeCode: "3202811")),
                ("county as place", Self.application(placeCode: APITester.jiangyin)),
                ("a place that is no org of the county", Self.application(placeCode: "320282100201")),
                ("unknown item", Self.application(itemCode: "lottery")),
                ("bad id number", Self.application(applicant: APITester.applicant(ResidentIDs.badCheck(22)))),
                ("bad phone", Self.application(applicant: APITester.applicant(ResidentIDs.number(22), phone: "call me"))),
                ("empty description", Self.application().merging(["description": " "]) { $1 }),
                // What the database would refuse is refused before it, so no group of
                // applications fails for one of them (sql/migrations/0017).
                ("NUL in the description", Self.application().merging(["description": "家庭困难\u{0}"]) { $1 }),
                ("2000 characters of 3 code points each", Self.application().merging(
                    ["description": String(repeating: "e\u{301}\u{301}", count: 2000)]) { $1 }),
                ("a name of stacked marks", Self.application(applicant: APITester.applicant(
                    ResidentIDs.number(23), name: "张" + String(repeating: "\u{301}", count: 60)))),
                ("missing applicant", Self.application().filter { $0.key != "applicant" }),
            ]
            for (label, body) in invalid {
                let reply = try await api.send(.post, "/api/v1/public/applications", json: body)
                #expect(reply.status == .badRequest, "\(label): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.isProblem, "\(label)")
            }
            // A retired item cannot be applied for any more.
            _ = try await api.send(.post, "/api/v1/catalog/items/\(county.dibao)/retire", token: county.manager)
            let retired = try await api.send(.post, "/api/v1/public/applications", json: Self.application())
            #expect(retired.status == .badRequest && retired.isProblem)
            #expect(try await api.caseCount() == 0)
        }
    }

    @Test("what citizens call without an account is rate-limited per client: 429 problem+json with Retry-After, nothing created")
    func rateLimited() async throws {
        try await APITester.run(publicRequestsPerMinute: 3) { api in
            let county = try await IntakeCounty.make(api)
            var statuses: [HTTPResponse.Status] = []
            var refused: APIReply?
            for _ in 0..<6 {
                let reply = try await api.send(.get, "/api/v1/public/counties/\(APITester.jiangyin)")
                statuses.append(reply.status)
                if reply.status == .tooManyRequests { refused = reply }
            }
            #expect(statuses.first == .ok)
            #expect(statuses.filter { $0 == .ok }.count <= 3, "\(statuses)")
            #expect(statuses.suffix(3).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
            let problem = try #require(refused)
            #expect(problem.isProblem)
            let retryAfter = try #require(problem.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter), "Retry-After: \(retryAfter)")

            // Refused applications and feedback create nothing.
            let application = try await api.send(.post, "/api/v1/public/applications", json: Self.application())
            #expect(application.status == .tooManyRequests && application.headers[.retryAfter] != nil)
            let feedback = try await api.send(.post, "/api/v1/public/feedback",
                                              json: ["county": APITester.jiangyin, "kind": "suggestion", "subject": "建议", "content": "延长开放时间"])
            #expect(feedback.status == .tooManyRequests)
            #expect(try await api.caseCount() == 0)
            #expect(try await api.ownerCount("SELECT count(*) FROM feedback") == 0)
            // Staff are not limited by it.
            #expect(try await api.send(.get, "/api/v1/cases", token: county.manager).status == .ok)
        }
    }
}
