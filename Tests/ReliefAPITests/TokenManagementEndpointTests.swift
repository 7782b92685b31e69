import Foundation
import Testing

/// Issue 3 §4: tokens with expiry and revocation — also of a token its holder no longer has.
@Suite("Sessions and tokens a user keeps")
struct TokenManagementEndpointTests {
    @Test("a user lists their open sessions and tokens (never the secrets) and ends one by id; another user's is unknown to them")
    func listAndRevoke() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let agent = try await api.createUser(county.manager, username: "dongmen.agent", orgID: county.villageA, roles: ["village_agent"])
            let issued = try await api.send(.post, "/api/v1/tokens", token: agent.token, json: ["name": "12345 bridge", "expiresInDays": 30])
            #expect(issued.status == .created)
            let bridgeToken = try #require(issued.string("token"))

            let listed = try await api.send(.get, "/api/v1/tokens", token: agent.token)
            #expect(listed.status == .ok)
            #expect(listed.array.count == 2, "\(listed.text)")
            #expect(!listed.text.contains(bridgeToken) && !listed.text.contains(agent.token), "secrets are never listed")
            let bridge = try #require(listed.array.first { $0["name"] as? String == "12345 bridge" })
            #expect(bridge["kind"] as? String == "api" && bridge["current"] as? Bool == false)
            #expect(listed.array.contains { $0["current"] as? Bool == true }, "the session this request presented")
            let bridgeID = try #require(bridge["id"] as? String)

            // The manager cannot end the agent's token through this (it is not theirs).
            let foreign = try await api.send(.delete, "/api/v1/tokens/\(bridgeID)", token: county.manager)
            #expect(foreign.status == .notFound && foreign.isProblem)
            #expect(try await api.send(.get, "/api/v1/me", token: bridgeToken).status == .ok)

            let ended = try await api.send(.delete, "/api/v1/tokens/\(bridgeID)", token: agent.token)
            #expect(ended.status == .noContent)
            #expect(try await api.send(.get, "/api/v1/me", token: bridgeToken).status == .unauthorized, "the lost token no longer works")
            #expect(try await api.send(.get, "/api/v1/me", token: agent.token).status == .ok, "the session that ended it goes on")
            #expect(try await api.send(.delete, "/api/v1/tokens/\(bridgeID)", token: agent.token).status == .notFound, "ended once")
            #expect(try await api.send(.get, "/api/v1/tokens", token: agent.token).array.count == 1)
            #expect(try await api.auditCount("token_revoked", objectID: bridgeID) == 1)
        }
    }
}
