import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import ReliefAPI
import ReliefStore
import Testing
import TestSupport

/// Center managers configure their county through the API (the mission's first users).
@Suite("Configuration API")
struct DirectoryEndpointTests {
    static let password = "配置-Password-2026"

    private func withTwoCounties(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let pool = try await TestCounties.make([("320281000000", "江阴市"), ("320282000000", "宜兴市")], password: Self.password).pool
        let app = Application(router: try HTTPServer.router(pool: pool, cipher: .ephemeral(), logger: Logger(label: "test")))
        try await app.test(.router, body)
        await pool.close()
    }

    private func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?,
                      _ object: Any? = nil) async throws -> (HTTPResponse.Status, Any?) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let body = try object.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            (response.status, try? JSONSerialization.jsonObject(with: Data(buffer: response.body)))
        }
    }

    private func signIn(_ client: any TestClientProtocol, county: String, username: String = "manager", password: String = Self.password) async throws -> String {
        let (status, body) = try await send(client, .post, "/api/v1/sessions", token: nil,
                                            ["county": county, "username": username, "password": password])
        #expect(status == .created)
        return try #require((body as? [String: Any])?["token"] as? String)
    }

    @Test("a manager builds the org tree, departments and users; the new user signs in with the roles given")
    func buildCounty() async throws {
        try await withTwoCounties { client in
            let token = try await signIn(client, county: "320281000000")
            let (_, orgList) = try await send(client, .get, "/api/v1/orgs", token: token)
            let county = try #require((orgList as? [[String: Any]])?.first)
            let countyID = try #require(county["id"] as? String)
            let (townStatus, town) = try await send(client, .post, "/api/v1/orgs", token: token,
                ["tier": "township", "divisionCode": "320281100000", "name": "澄江街道", "parentId": countyID])
            #expect(townStatus == .created)
            let townID = try #require((town as? [String: Any])?["id"] as? String)
            #expect((town as? [String: Any])?["path"] as? String == "320281000000.320281100000")
            let (villageStatus, _) = try await send(client, .post, "/api/v1/orgs", token: token,
                ["tier": "village", "divisionCode": "320281100201", "name": "某某社区", "parentId": townID])
            #expect(villageStatus == .created)
            let (departmentStatus, department) = try await send(client, .post, "/api/v1/departments", token: token, ["name": "乡村振兴局"])
            #expect(departmentStatus == .created)
            let departmentID = try #require((department as? [String: Any])?["id"] as? String)
            let (userStatus, _) = try await send(client, .post, "/api/v1/users", token: token, [
                "username": "li.agent", "displayName": "李经办", "password": "Agent-pass-2026", "orgId": countyID,
                "departmentId": departmentID, "roles": ["department_agent"],
            ])
            #expect(userStatus == .created)
            let agent = try await signIn(client, county: "320281000000", username: "li.agent", password: "Agent-pass-2026")
            let (_, me) = try await send(client, .get, "/api/v1/me", token: agent)
            #expect((me as? [String: Any])?["roles"] as? [String] == ["department_agent"])
            // Not a manager: may read the org tree, may not change it.
            let (agentList, _) = try await send(client, .get, "/api/v1/orgs", token: agent)
            #expect(agentList == .ok)
            let (refused, problem) = try await send(client, .post, "/api/v1/departments", token: agent, ["name": "医保局"])
            #expect(refused == .forbidden)
            #expect((problem as? [String: Any])?["status"] as? Int == 403)

            // A department that implements items still on offer cannot be deactivated (citizens
            // could apply for what nobody handles); one without items can.
            let (_, departments) = try await send(client, .get, "/api/v1/departments", token: token)
            let civil = try #require((departments as? [[String: Any]])?.first { $0["name"] as? String == "民政局" }?["id"] as? String)
            let (busy, busyProblem) = try await send(client, .patch, "/api/v1/departments/\(civil)", token: token, ["active": false])
            #expect(busy == .conflict)
            #expect(((busyProblem as? [String: Any])?["detail"] as? String)?.contains("最低生活保障") == true, "\(String(describing: busyProblem))")
            let (_, stillActive) = try await send(client, .get, "/api/v1/departments", token: token)
            #expect((stillActive as? [[String: Any]])?.first { $0["id"] as? String == civil }?["active"] as? Bool == true)
            // One whose staff are still active cannot either: they would sit in a closed department.
            let (staffed, staffedProblem) = try await send(client, .patch, "/api/v1/departments/\(departmentID)", token: token, ["active": false])
            #expect(staffed == .conflict)
            #expect(((staffedProblem as? [String: Any])?["detail"] as? String)?.contains("李经办") == true, "\(String(describing: staffedProblem))")
            let (_, users) = try await send(client, .get, "/api/v1/users", token: token)
            let li = try #require((users as? [[String: Any]])?.first { $0["username"] as? String == "li.agent" }?["id"] as? String)
            let (moved, _) = try await send(client, .patch, "/api/v1/users/\(li)", token: token, ["active": false])
            #expect(moved == .ok)
            let (idle, _) = try await send(client, .patch, "/api/v1/departments/\(departmentID)", token: token, ["active": false])
            #expect(idle == .ok)
            // Nobody is reactivated into a closed department.
            let (reopened, _) = try await send(client, .patch, "/api/v1/users/\(li)", token: token, ["active": true])
            #expect(reopened == .badRequest)
        }
    }

    @Test("ids of another county answer exactly as ids that do not exist")
    func otherCountyIsNotFound() async throws {
        try await withTwoCounties { client in
            let mine = try await signIn(client, county: "320281000000")
            let theirs = try await signIn(client, county: "320282000000")
            let (_, theirOrgs) = try await send(client, .get, "/api/v1/orgs", token: theirs)
            let theirCounty = try #require((theirOrgs as? [[String: Any]])?.first?["id"] as? String)
            let (foreign, foreignBody) = try await send(client, .patch, "/api/v1/orgs/\(theirCounty)", token: mine, ["name": "篡改"])
            let (missing, missingBody) = try await send(client, .patch, "/api/v1/orgs/\(UUID().uuidString)", token: mine, ["name": "篡改"])
            #expect(foreign == .notFound && missing == .notFound)
            #expect(NSDictionary(dictionary: foreignBody as? [String: Any] ?? [:]) == NSDictionary(dictionary: missingBody as? [String: Any] ?? [:]))
            // Hanging a township under another county's org is refused and creates nothing.
            let (status, _) = try await send(client, .post, "/api/v1/orgs", token: mine,
                ["tier": "township", "divisionCode": "320282100000", "name": "越界", "parentId": theirCounty])
            #expect(status == .badRequest)
            let (_, theirsAfter) = try await send(client, .get, "/api/v1/orgs", token: theirs)
            #expect((theirsAfter as? [[String: Any]])?.count == 1)
            let (_, myOrgs) = try await send(client, .get, "/api/v1/orgs", token: mine)
            #expect((myOrgs as? [[String: Any]])?.count == 1)
        }
    }

    @Test("bad input answers 4xx problem+json and changes nothing")
    func badInput() async throws {
        try await withTwoCounties { client in
            let token = try await signIn(client, county: "320281000000")
            let (_, orgList) = try await send(client, .get, "/api/v1/orgs", token: token)
            let countyID = try #require((orgList as? [[String: Any]])?.first?["id"] as? String)
            let cases: [(String, Any)] = [
                ("/api/v1/orgs", ["tier": "village", "divisionCode": "320281100201", "name": "错层", "parentId": countyID]),
                ("/api/v1/orgs", ["tier": "township", "divisionCode": "330281100000", "name": "错码", "parentId": countyID]),
                ("/api/v1/orgs", ["tier": "province", "divisionCode": "320281100000", "name": "x", "parentId": countyID]),
                ("/api/v1/orgs", ["tier": "township", "divisionCode": "320281100000", "name": "", "parentId": countyID]),
                ("/api/v1/orgs", ["tier": "township", "divisionCode": 320281100000, "name": "x", "parentId": countyID]),
                ("/api/v1/orgs", ["tier": "township", "divisionCode": "320281100000", "name": "x", "parentId": "not-a-uuid"]),
                ("/api/v1/users", ["username": "A", "displayName": "x", "password": "Agent-pass-2026", "orgId": countyID, "roles": ["auditor"]]),
                ("/api/v1/users", ["username": "abc", "displayName": "x", "password": "weak", "orgId": countyID, "roles": ["auditor"]]),
                ("/api/v1/users", ["username": "abc", "displayName": "x", "password": "Agent-pass-2026", "orgId": countyID, "roles": ["king"]]),
                ("/api/v1/users", ["username": "abc", "displayName": "x", "password": "Agent-pass-2026", "orgId": countyID, "roles": []]),
                ("/api/v1/users", ["username": "abc", "displayName": "x", "password": "Agent-pass-2026", "orgId": UUID().uuidString, "roles": ["auditor"]]),
                ("/api/v1/departments", ["name": String(repeating: "长", count: 101)]),
            ]
            for (uri, object) in cases {
                let (status, body) = try await send(client, .post, uri, token: token, object)
                #expect(status == .badRequest, "\(uri) \(object)")
                #expect((body as? [String: Any])?["type"] != nil, "\(uri) \(object)")
            }
            let (_, after) = try await send(client, .get, "/api/v1/orgs", token: token)
            #expect((after as? [[String: Any]])?.count == 1)
            let (_, users) = try await send(client, .get, "/api/v1/users", token: token)
            #expect((users as? [[String: Any]])?.count == 1)
            // A duplicate is a conflict.
            _ = try await send(client, .post, "/api/v1/departments", token: token, ["name": "乡村振兴局"])
            let (duplicate, _) = try await send(client, .post, "/api/v1/departments", token: token, ["name": "乡村振兴局"])
            #expect(duplicate == .conflict)
        }
    }

    @Test("a deactivated user is signed out everywhere and cannot sign in; nothing is deleted")
    func deactivateUser() async throws {
        try await withTwoCounties { client in
            let token = try await signIn(client, county: "320281000000")
            let (_, orgList) = try await send(client, .get, "/api/v1/orgs", token: token)
            let countyID = try #require((orgList as? [[String: Any]])?.first?["id"] as? String)
            let (_, created) = try await send(client, .post, "/api/v1/users", token: token, [
                "username": "zhao", "displayName": "赵", "password": "Agent-pass-2026", "orgId": countyID, "roles": ["auditor"],
            ])
            let userID = try #require((created as? [String: Any])?["id"] as? String)
            let theirToken = try await signIn(client, county: "320281000000", username: "zhao", password: "Agent-pass-2026")
            // The auditor's county-wide reading is not lent to another role's rights: refused, nothing changed.
            let (combined, _) = try await send(client, .patch, "/api/v1/users/\(userID)", token: token,
                                               ["active": false, "roles": ["auditor", "center_agent"]])
            #expect(combined == .badRequest)
            let (_, unchanged) = try await send(client, .get, "/api/v1/me", token: theirToken)
            #expect((unchanged as? [String: Any])?["roles"] as? [String] == ["auditor"], "still signed in, still an auditor")
            let (status, updated) = try await send(client, .patch, "/api/v1/users/\(userID)", token: token,
                                                   ["active": false, "roles": ["center_agent"]])
            #expect(status == .ok)
            #expect((updated as? [String: Any])?["active"] as? Bool == false)
            #expect((updated as? [String: Any])?["roles"] as? [String] == ["center_agent"])
            let (me, _) = try await send(client, .get, "/api/v1/me", token: theirToken)
            #expect(me == .unauthorized)
            let (signIn, _) = try await send(client, .post, "/api/v1/sessions", token: nil,
                                             ["county": "320281000000", "username": "zhao", "password": "Agent-pass-2026"])
            #expect(signIn == .unauthorized)
            let (_, users) = try await send(client, .get, "/api/v1/users", token: token)
            #expect((users as? [[String: Any]])?.count == 2)
            // A manager cannot lock themselves out.
            let (_, me2) = try await send(client, .get, "/api/v1/me", token: token)
            let myID = try #require((me2 as? [String: Any])?["id"] as? String)
            let (selfStatus, _) = try await send(client, .patch, "/api/v1/users/\(myID)", token: token, ["active": false])
            #expect(selfStatus == .badRequest)
        }
    }
}
