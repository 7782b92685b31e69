import Foundation
import Testing

/// Deactivating keeps the org tree whole (issue 3 §5: nothing a case refers to is deleted,
/// rows are deactivated): no village left open under a closed township, nothing new under a
/// closed org, and the county's own org, center and joint office never closed.
@Suite("Deactivating orgs and departments")
struct OrgDeactivationEndpointTests {
    @Test("a township closes after its villages; nothing is added or reopened under it; the county org, center and joint office stay")
    func treeStaysWhole() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let manager = county.manager
            func setActive(_ org: String, _ active: Bool) async throws -> APIReply {
                try await api.send(.patch, "/api/v1/orgs/\(org)", token: manager, json: ["active": active])
            }
            let early = try await setActive(county.townshipID, false)
            #expect(early.status == .conflict && early.isProblem, "\(early.status)")
            #expect(early.string("detail")?.contains("东门社区") == true && early.string("detail")?.contains("西门社区") == true)
            #expect(try await api.send(.get, "/api/v1/orgs", token: manager).array.first { $0["id"] as? String == county.townshipID }?["active"] as? Bool == true)

            #expect(try await setActive(county.villageA, false).status == .ok)
            #expect(try await setActive(county.villageB, false).status == .ok)
            #expect(try await setActive(county.townshipID, false).status == .ok)

            let added = try await api.send(.post, "/api/v1/orgs", token: manager, json: [
                "tier": "village", "divisionCode": "320281100203", "name": "南门社区", "parentId": county.townshipID])
            #expect(added.status == .conflict && added.isProblem, "\(added.status)")
            #expect(try await setActive(county.villageA, true).status == .conflict, "reopened under a closed township")
            let seated = try await api.send(.post, "/api/v1/users", token: manager, json: [
                "username": "closed.agent", "displayName": "经办", "password": "Staff-pass-2026", "orgId": county.villageA,
                "roles": ["village_agent"]])
            #expect(seated.status == .badRequest && seated.isProblem, "\(seated.status)")
            // Reopened from the top down.
            #expect(try await setActive(county.townshipID, true).status == .ok)
            #expect(try await setActive(county.villageA, true).status == .ok)

            #expect(try await setActive(county.countyOrgID, false).status == .conflict)

            // Staff seated in a village keep it open until they are deactivated or moved.
            let agent = try await api.createUser(manager, username: "dongmen.agent", orgID: county.villageA, roles: ["village_agent"])
            let staffed = try await setActive(county.villageA, false)
            #expect(staffed.status == .conflict && staffed.string("detail")?.contains("经办dongmen.agent") == true, "\(staffed.text)")
            #expect(try await api.send(.patch, "/api/v1/users/\(agent.id)", token: manager, json: ["active": false]).status == .ok)
            #expect(try await setActive(county.villageA, false).status == .ok)
            let reopened = try await api.send(.patch, "/api/v1/users/\(agent.id)", token: manager, json: ["active": true])
            #expect(reopened.status == .badRequest, "nobody is reactivated into a closed village")

            // Closing a township and opening a village under it, sent at once: never both.
            for round in 0..<6 {
                #expect(try await setActive(county.villageB, false).status == .ok, "round \(round)")
                async let closing = setActive(county.townshipID, false)
                async let opening = setActive(county.villageB, true)
                let (closed, opened) = try await (closing, opening)
                #expect(!(closed.status == .ok && opened.status == .ok), "round \(round): both succeeded")
                let orgs = try await api.send(.get, "/api/v1/orgs", token: manager).array
                let townshipActive = orgs.first { $0["id"] as? String == county.townshipID }?["active"] as? Bool
                let villageActive = orgs.first { $0["id"] as? String == county.villageB }?["active"] as? Bool
                #expect(!(townshipActive == false && villageActive == true), "round \(round): an open village under a closed township")
                if townshipActive == false { #expect(try await setActive(county.townshipID, true).status == .ok) }
            }
            for department in try await api.departments(manager) where department["kind"] as? String != "department" {
                let closed = try await api.send(.patch, "/api/v1/departments/\(department["id"] as! String)", token: manager,
                                                json: ["active": false])
                #expect(closed.status == .conflict && closed.isProblem, "\(department["name"] ?? "?"): \(closed.status)")
            }
        }
    }
}
