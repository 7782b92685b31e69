import Foundation
import Testing

/// Roles are granted only where they sit (DESIGN.md, "Users and what they do"), so a grant
/// never widens what its holder sees: refused with 400, and nothing is created or changed.
@Suite("Where roles sit, over HTTP")
struct RoleSeatingEndpointTests {
    @Test("an auditor who is also a village agent, a township agent at the county, a manager at a village, department staff without a department: 400, no user made")
    func misplacedGrantsRefused() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let usersBefore = try await api.send(.get, "/api/v1/users", token: county.manager).array.count
            let refused: [(String, String, [String])] = [
                ("aud.village", county.villageA, ["auditor", "village_agent"]),
                ("aud.center", county.countyOrgID, ["auditor", "center_agent"]),
                ("town.at.county", county.countyOrgID, ["township_agent"]),
                ("manager.at.village", county.villageA, ["center_manager"]),
                ("village.at.township", county.townshipID, ["village_agent"]),
                ("dept.without", county.countyOrgID, ["department_agent"]),
            ]
            for (username, org, roles) in refused {
                let reply = try await api.send(.post, "/api/v1/users", token: county.manager, json: [
                    "username": username, "displayName": "经办", "password": "Staff-pass-2026", "orgId": org, "roles": roles,
                ])
                #expect(reply.status == .badRequest && reply.isProblem, "\(username): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
            }
            #expect(try await api.send(.get, "/api/v1/users", token: county.manager).array.count == usersBefore)
            #expect(try await api.auditCount("user_created") == 0, "nothing audited as made")

            // A village agent moved to the county org keeps a role that no longer fits: refused.
            let agent = try await api.createUser(county.manager, username: "dongmen.agent", orgID: county.villageA, roles: ["village_agent"])
            let moved = try await api.send(.patch, "/api/v1/users/\(agent.id)", token: county.manager, json: ["orgId": county.countyOrgID])
            #expect(moved.status == .badRequest && moved.isProblem, "\(moved.status)")
            let granted = try await api.send(.patch, "/api/v1/users/\(agent.id)", token: county.manager, json: ["roles": ["village_agent", "auditor"]])
            #expect(granted.status == .badRequest && granted.isProblem, "\(granted.status)")
            let stored = try await api.send(.get, "/api/v1/users", token: county.manager).array.first { $0["id"] as? String == agent.id }
            #expect(stored?["orgId"] as? String == county.villageA && stored?["roles"] as? [String] == ["village_agent"], "\(stored ?? [:])")

            // Where they sit, the same grants are made.
            let department = try await api.departmentID(county.manager)
            _ = try await api.createUser(county.manager, username: "town.agent", orgID: county.townshipID, roles: ["township_agent"])
            _ = try await api.createUser(county.manager, username: "dept.agent", orgID: county.countyOrgID, roles: ["department_agent"],
                                         departmentID: department)
            _ = try await api.createUser(county.manager, username: "auditor", orgID: county.countyOrgID, roles: ["auditor"])
        }
    }
}
