import Foundation
import ReliefDomain
import Testing

/// The county's working-day calendar over HTTP (SLA, DESIGN.md; reference/policy.md on 调休).
@Suite("Working-day calendar over HTTP")
struct CalendarEndpointTests {
    /// The 2025 National Day arrangement: 1–8 October off (the weekdays among them listed),
    /// Sunday 28 September and Saturday 11 October worked.
    static let nationalDay2025: [JSONBody] = ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"]
        .map { ["date": $0, "kind": "holiday", "name": "国庆节、中秋节"] }
        + [["date": "2025-09-28", "kind": "workday", "name": "国庆调休上班"], ["date": "2025-10-11", "kind": "workday", "name": "国庆调休上班"]]

    @Test("a manager imports a year's list; everyone signed in reads it; other years and counties are untouched")
    func importAndRead() async throws {
        try await APITester.run(counties: [(APITester.jiangyin, "江阴市"), (APITester.yixing, "宜兴市")]) { api in
            let manager = try await api.signIn()
            let imported = try await api.send(.put, "/api/v1/calendar/2025", token: manager, json: ["days": Self.nationalDay2025])
            #expect(imported.status == .ok)
            let days = imported.object["days"] as? [[String: Any]] ?? []
            #expect(days.count == 8)
            #expect(days.first?["date"] as? String == "2025-09-28" && days.first?["kind"] as? String == "workday")
            #expect(days.compactMap { $0["date"] as? String } == days.compactMap { $0["date"] as? String }.sorted())

            let county = try await api.countyOrgID(manager)
            let agent = try await api.createUser(manager, username: "cal.agent", orgID: county, roles: ["center_agent"]).token
            let read = try await api.send(.get, "/api/v1/calendar/2025", token: agent)
            #expect(read.status == .ok && (read.object["days"] as? [Any])?.count == 8)
            #expect((try await api.send(.get, "/api/v1/calendar/2026", token: agent).object["days"] as? [Any])?.isEmpty == true)
            let other = try await api.signIn(county: APITester.yixing)
            #expect((try await api.send(.get, "/api/v1/calendar/2025", token: other).object["days"] as? [Any])?.isEmpty == true)

            // A second import replaces the year, all of it.
            let replaced = try await api.send(.put, "/api/v1/calendar/2025", token: manager,
                                              json: ["days": [["date": "2025-05-01", "kind": "holiday", "name": "劳动节"]]])
            #expect((replaced.object["days"] as? [Any])?.count == 1)
            #expect(try await api.auditCount("calendar_replaced") == 2)
        }
    }

    @Test("imports of one year sent at once leave exactly one of the lists, not a mixture")
    func concurrentImports() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let lists = ["2028-03-01", "2028-03-02", "2028-03-03", "2028-03-06", "2028-03-07", "2028-03-08"].map { day in
                [["date": day, "kind": "holiday", "name": "测试"]] as [JSONBody]
            }
            for _ in 0..<3 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for list in lists {
                        group.addTask {
                            let reply = try await api.send(.put, "/api/v1/calendar/2028", token: manager, json: ["days": list])
                            #expect(reply.status == .ok)
                        }
                    }
                    try await group.waitForAll()
                }
                let days = try await api.send(.get, "/api/v1/calendar/2028", token: manager).object["days"] as? [[String: Any]] ?? []
                #expect(days.count == 1, "one request's list: \(days.compactMap { $0["date"] as? String })")
            }
        }
    }

    @Test("only a center manager changes it, and a wrong list changes nothing")
    func refusals() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            #expect(try await api.send(.put, "/api/v1/calendar/2025", token: manager, json: ["days": Self.nationalDay2025]).status == .ok)
            let county = try await api.countyOrgID(manager)
            let agent = try await api.createUser(manager, username: "cal.agent", orgID: county, roles: ["center_agent"]).token
            let forbidden = try await api.send(.put, "/api/v1/calendar/2025", token: agent, json: ["days": [JSONBody]()])
            #expect(forbidden.status == .forbidden && forbidden.isProblem)
            let wrong: [(String, [JSONBody])] = [
                ("a weekend listed as a holiday", [["date": "2025-10-04", "kind": "holiday", "name": "国庆节"]]),
                ("a weekday listed as a make-up day", [["date": "2025-10-10", "kind": "workday", "name": "调休"]]),
                ("a day of another year", [["date": "2026-01-01", "kind": "holiday", "name": "元旦"]]),
                ("a date that does not exist", [["date": "2025-02-29", "kind": "holiday", "name": "x"]]),
                ("the same day twice", [["date": "2025-05-01", "kind": "holiday", "name": "劳动节"],
                                        ["date": "2025-05-01", "kind": "holiday", "name": "劳动节"]]),
                ("an empty name", [["date": "2025-05-01", "kind": "holiday", "name": " "]]),
            ]
            for (why, days) in wrong {
                let reply = try await api.send(.put, "/api/v1/calendar/2025", token: manager, json: ["days": days])
                #expect(reply.status == .badRequest && reply.isProblem, "\(why): \(reply.status)")
            }
            #expect(try await api.send(.put, "/api/v1/calendar/1999", token: manager, json: ["days": [JSONBody]()]).status == .badRequest)
            let kept = try await api.send(.get, "/api/v1/calendar/2025", token: manager)
            #expect((kept.object["days"] as? [Any])?.count == 8, "a refused import left the year as it was")
            #expect(try await api.send(.get, "/api/v1/calendar/2025").status == .unauthorized)
        }
    }
}
