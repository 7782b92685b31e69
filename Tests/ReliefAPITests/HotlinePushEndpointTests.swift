import Foundation
import HTTPTypes
import ReliefStore
import Testing

/// Orders pushed by the 12345 platform (DB32/T 4012-2021 §5.1.3): signed per county,
/// idempotent on the order number.
@Suite("12345 pushes over HTTP")
struct HotlinePushEndpointTests {
    static let ordersPath = "/api/v1/hotline/\(APITester.jiangyin)/orders"

    static func order(_ number: String = "GD20260301001", placeCode: String = IntakeCounty.villageACode,
                      itemCode: String = "dibao", applicant idNumber: String = ResidentIDs.number(31), name: String = "王五",
                      phone: String? = nil, description: String = "来电反映家中老人无人照料、生活困难。",
                      greenChannelReason: String? = nil) throws -> Data {
        var applicant = APITester.applicant(idNumber, name: name)
        if let phone { applicant["phone"] = phone }
        var body: JSONBody = ["orderNumber": number, "itemCode": itemCode, "placeCode": placeCode, "applicant": applicant,
                              "description": description]
        if let greenChannelReason { body["greenChannelReason"] = greenChannelReason }
        return try JSONSerialization.data(withJSONObject: body)
    }

    static func now() -> String { String(Int(Date().timeIntervalSince1970)) }

    /// Headers of a push signed as the platform signs it: hex HMAC-SHA-256 of `timestamp.body`.
    static func signed(_ body: Data, secret: String, timestamp: String = now()) -> HTTPFields {
        [.contentType: "application/json",
         HTTPField.Name("X-Hotline-Timestamp")!: timestamp,
         HTTPField.Name("X-Hotline-Signature")!: HotlineSignature.sign(secret: secret, timestamp: timestamp, body: body)]
    }

    func push(_ api: APITester, _ body: Data, headers: HTTPFields, path: String = ordersPath) async throws -> APIReply {
        try await api.send(.post, path, raw: body, headers: headers)
    }

    /// Configures the integration as the manager and answers the secret shown once.
    func configure(_ api: APITester, _ manager: String) async throws -> String {
        let reply = try await api.send(.put, "/api/v1/hotline-integration", token: manager,
                                       json: ["callbackUrl": "https://12345.example.gov.cn/callback"])
        #expect(reply.status == .ok)
        #expect(reply.object["configured"] as? Bool == true)
        return try #require(reply.string("secret"))
    }

    @Test("§5.1.3: the manager sets up the link and sees the secret once; a signed push makes a case, a repeated push finds it")
    func signedPushIsIdempotent() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let before = try await api.send(.get, "/api/v1/hotline-integration", token: county.manager)
            #expect(before.status == .ok && before.object["configured"] as? Bool == false)
            let secret = try await configure(api, county.manager)
            #expect(secret.count >= 32)
            let settings = try await api.send(.get, "/api/v1/hotline-integration", token: county.manager)
            #expect(settings.object["configured"] as? Bool == true && settings.object["secret"] == nil)
            #expect(settings.string("callbackUrl") == "https://12345.example.gov.cn/callback")
            #expect(!String(decoding: settings.body, as: UTF8.self).contains(secret))
            // Changing the callback without rotating keeps the secret and does not show it.
            let changed = try await api.send(.put, "/api/v1/hotline-integration", token: county.manager,
                                             json: ["callbackUrl": "https://12345.example.gov.cn/v2/callback"])
            #expect(changed.status == .ok && changed.object["secret"] == nil)

            let body = try Self.order()
            let first = try await push(api, body, headers: Self.signed(body, secret: secret))
            #expect(first.status == .created, "\(String(decoding: first.body, as: UTF8.self))")
            #expect(first.object["created"] as? Bool == true)
            let caseNumber = try #require(first.string("caseNumber"))
            let queryCode = try #require(first.string("queryCode"))
            #expect(queryCode.count == 8)

            let again = try await push(api, body, headers: Self.signed(body, secret: secret))
            #expect(again.status == .ok)
            #expect(again.object["created"] as? Bool == false)
            #expect(again.string("caseNumber") == caseNumber && again.string("queryCode") == queryCode)
            #expect(try await api.caseCount() == 1)
            // The same order number for another person, place or request is no repeat: 409.
            for (label, reused) in [
                ("another item", try Self.order(itemCode: "tekun")),
                ("another place", try Self.order(placeCode: IntakeCounty.villageBCode)),
                ("another person", try Self.order(applicant: ResidentIDs.number(32))),
                ("another request", try Self.order(description: "来电反映房屋漏雨，需要修缮。")),
                ("another name", try Self.order(name: "王六")),
                ("another phone", try Self.order(phone: "13912345678")),
                ("the green channel asked for", try Self.order(greenChannelReason: "独居高龄老人")),
            ] {
                let refused = try await push(api, reused, headers: Self.signed(reused, secret: secret))
                #expect(refused.status == .conflict && refused.isProblem, "\(label): \(refused.status)")
            }
            #expect(try await api.caseCount() == 1)

            let list = try await api.send(.get, "/api/v1/cases", token: county.manager).array
            #expect(list.count == 1)
            #expect(list.first?["channel"] as? String == "hotline" && list.first?["orgId"] as? String == county.villageA)
            let caseID = try #require(list.first?["id"] as? String)
            let detail = try await api.send(.get, "/api/v1/cases/\(caseID)", token: county.manager)
            #expect(detail.string("hotlineOrderNumber") == "GD20260301001")
            let events = detail.object["events"] as? [[String: Any]] ?? []
            #expect(events.count == 1)
            #expect(events.first?["action"] as? String == "submitted" && events.first?["actorName"] as? String == "12345热线")
            #expect((events.first?["detail"] as? [String: String])?["channel"] == "hotline")

            // Rotating the secret: the old one no longer signs.
            let rotated = try await api.send(.put, "/api/v1/hotline-integration", token: county.manager, json: ["rotateSecret": true])
            let newSecret = try #require(rotated.string("secret"))
            #expect(newSecret != secret)
            let next = try Self.order("GD20260301002")
            #expect(try await push(api, next, headers: Self.signed(next, secret: secret)).status == .unauthorized)
            #expect(try await push(api, next, headers: Self.signed(next, secret: newSecret)).status == .created)
            #expect(try await api.caseCount() == 2)
        }
    }

    @Test("§5.1.3: a bad signature, a stale timestamp, a body altered after signing or no link answer 401 and create nothing")
    func forgedPushesRefused() async throws {
        try await APITester.run(counties: [(APITester.jiangyin, "江阴市"), (APITester.yixing, "宜兴市")]) { api in
            let county = try await IntakeCounty.make(api)
            let body = try Self.order()
            // Before any link is configured, nothing is accepted, whatever the signature.
            let unconfigured = try await push(api, body, headers: Self.signed(body, secret: "guess"))
            #expect(unconfigured.status == .unauthorized && unconfigured.isProblem)

            let secret = try await configure(api, county.manager)
            let sixMinutesAgo = String(Int(Date().timeIntervalSince1970) - 360)
            let inSixMinutes = String(Int(Date().timeIntervalSince1970) + 360)
            var altered = body
            altered.append(contentsOf: Array(" ".utf8))
            let tampered = try Self.order(placeCode: IntakeCounty.villageBCode)
            var wrongSignature = Self.signed(body, secret: secret)
            wrongSignature[HTTPField.Name("X-Hotline-Signature")!] = String(repeating: "0", count: 64)
            var noSignature = Self.signed(body, secret: secret)
            noSignature[HTTPField.Name("X-Hotline-Signature")!] = nil
            let notANumber = Self.signed(body, secret: secret, timestamp: "yesterday")

            let attempts: [(String, Data, HTTPFields)] = [
                ("wrong secret", body, Self.signed(body, secret: secret + "x")),
                ("zero signature", body, wrongSignature),
                ("no signature", body, noSignature),
                ("timestamp six minutes old", body, Self.signed(body, secret: secret, timestamp: sixMinutesAgo)),
                ("timestamp six minutes ahead", body, Self.signed(body, secret: secret, timestamp: inSixMinutes)),
                ("timestamp not a number", body, notANumber),
                ("whitespace appended after signing", altered, Self.signed(body, secret: secret)),
                ("another place after signing", tampered, Self.signed(body, secret: secret)),
            ]
            for (label, sent, headers) in attempts {
                let reply = try await push(api, sent, headers: headers)
                #expect(reply.status == .unauthorized, "\(label): \(reply.status)")
                #expect(reply.isProblem, "\(label)")
            }
            // A county without the link (宜兴) refuses a push signed with 江阴's secret.
            let foreign = try await push(api, body, headers: Self.signed(body, secret: secret),
                                         path: "/api/v1/hotline/\(APITester.yixing)/orders")
            #expect(foreign.status == .unauthorized && foreign.isProblem)
            let nowhere = try await push(api, body, headers: Self.signed(body, secret: secret), path: "/api/v1/hotline/320299000000/orders")
            #expect(nowhere.status == .notFound)
            #expect(try await api.caseCount() == 0)

            // Correctly signed but invalid content answers 400 and creates nothing.
            let invalid: [(String, Data)] = [
                ("malformed place code", try Self.order("GD-1", placeCode: "32028")),
                ("unknown place", try Self.order("GD-2", placeCode: "320281999999")),
                ("unknown item", try Self.order("GD-3", itemCode: "lottery")),
                ("bad order number", try Self.order("GD 4/../x")),
                ("not JSON", Data("{order".utf8)),
            ]
            for (label, sent) in invalid {
                let reply = try await push(api, sent, headers: Self.signed(sent, secret: secret))
                #expect(reply.status == .badRequest, "\(label): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.isProblem, "\(label)")
            }
            #expect(try await api.caseCount() == 0)
            // The genuine push still works afterwards.
            #expect(try await push(api, body, headers: Self.signed(body, secret: secret)).status == .created)
            #expect(try await api.caseCount() == 1)
        }
    }

    @Test("§5.1.3: only center managers see or change the 12345 link")
    func managersOnly() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let agent = try await api.createUser(manager, username: "zhang.agent", orgID: try await api.countyOrgID(manager),
                                                 roles: ["center_agent"]).token
            #expect(try await api.send(.get, "/api/v1/hotline-integration", token: agent).status == .forbidden)
            let put = try await api.send(.put, "/api/v1/hotline-integration", token: agent, json: ["rotateSecret": true])
            #expect(put.status == .forbidden && put.isProblem && put.object["secret"] == nil)
            #expect(try await api.send(.get, "/api/v1/hotline-integration", token: manager).object["configured"] as? Bool == false)
            let badURL = try await api.send(.put, "/api/v1/hotline-integration", token: manager, json: ["callbackUrl": "ftp://x"])
            #expect(badURL.status == .badRequest)
            #expect(try await api.ownerCount("SELECT count(*) FROM hotline_integrations") == 0)
        }
    }

    @Test("§5.1.3: eight identical pushes at once make exactly one case; all answer its number and code")
    func concurrentPushes() async throws {
        try await APITester.run(maximumConnections: 8) { api in
            let county = try await IntakeCounty.make(api)
            let secret = try await configure(api, county.manager)
            let body = try Self.order("GD-RACE-0001")
            let replies = try await withThrowingTaskGroup(of: APIReply.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await push(api, body, headers: Self.signed(body, secret: secret)) }
                }
                var replies: [APIReply] = []
                for try await reply in group { replies.append(reply) }
                return replies
            }
            let statuses = replies.map(\.status.code)
            #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
            #expect(Set(replies.compactMap { $0.string("caseNumber") }).count == 1)
            #expect(Set(replies.compactMap { $0.string("queryCode") }).count == 1)
            #expect(replies.filter { $0.object["created"] as? Bool == true }.count == 1)
            #expect(try await api.caseCount() == 1)
            #expect(try await api.ownerCount("SELECT count(*) FROM cases WHERE hotline_order_number = 'GD-RACE-0001'") == 1)
            #expect(try await api.ownerCount("SELECT count(*) FROM case_events") == 1)
        }
    }
}
