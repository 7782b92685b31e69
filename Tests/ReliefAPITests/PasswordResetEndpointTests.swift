import Foundation
import Testing

/// A staff member who forgot their password, or locked themselves out, is let back in by a
/// center manager (issue 3 §4–5): a new password, the lock-out lifted, every old session ended.
@Suite("Password reset by a center manager")
struct PasswordResetEndpointTests {
    @Test("a manager sets a new password: the old sessions end, the lock-out is lifted, the reset is audited; others may not, weak passwords and unknown users are refused")
    func managerResets() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let agent = try await api.createUser(county.manager, username: "dongmen.agent", orgID: county.villageA, roles: ["village_agent"])
            let colleague = try await api.createUser(county.manager, username: "center.agent", orgID: county.countyOrgID,
                                                     roles: ["center_agent"])
            // Forgotten: five wrong tries lock the account.
            for attempt in 1...5 {
                _ = try await api.send(.post, "/api/v1/sessions", json: [
                    "county": APITester.jiangyin, "username": "dongmen.agent", "password": "forgotten-\(attempt)"])
            }
            let locked = try await api.send(.post, "/api/v1/sessions", json: [
                "county": APITester.jiangyin, "username": "dongmen.agent", "password": "Staff-pass-2026"])
            #expect(locked.status.code == 423)

            let path = "/api/v1/users/\(agent.id)/password"
            #expect(try await api.send(.post, path, token: colleague.token, json: ["newPassword": "Reset-pass-2026"]).status == .forbidden)
            let weak = try await api.send(.post, path, token: county.manager, json: ["newPassword": "short"])
            #expect(weak.status == .badRequest && weak.isProblem)
            let unknown = try await api.send(.post, "/api/v1/users/\(UUID().uuidString)/password", token: county.manager,
                                             json: ["newPassword": "Reset-pass-2026"])
            #expect(unknown.status == .notFound && unknown.isProblem)
            let managerID = try #require(try await api.send(.get, "/api/v1/me", token: county.manager).string("id"))
            let own = try await api.send(.post, "/api/v1/users/\(managerID)/password", token: county.manager,
                                         json: ["newPassword": "Reset-pass-2026"])
            #expect(own.status == .badRequest, "a manager's own password is changed with the current one")
            #expect(try await api.auditCount("password_reset") == 0, "nothing refused was done")

            let reset = try await api.send(.post, path, token: county.manager, json: ["newPassword": "Reset-pass-2026"])
            #expect(reset.status == .noContent, "\(reset.status) \(reset.text)")
            #expect(try await api.send(.get, "/api/v1/me", token: agent.token).status == .unauthorized, "the old session ended")
            _ = try await api.signIn(username: "dongmen.agent", password: "Reset-pass-2026")
            #expect(try await api.auditCount("password_reset", objectID: agent.id) == 1)
        }
    }
}
