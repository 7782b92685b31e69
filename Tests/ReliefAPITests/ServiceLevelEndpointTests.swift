import Foundation
import HTTPTypes
import Postgres
import ReliefDomain
import ReliefStore
import Testing

/// Service levels over HTTP (SLA, DESIGN.md): the county's policies (center managers set
/// them), a case's deadlines for whoever may read the case, the notices staff receive and
/// the joint office's escalation list (督办), as the job runner's steps produce them.
/// `ServiceLevels.sync` and `fire` are called directly here, as the runner's jobs call them.
@Suite("Service levels over HTTP")
struct ServiceLevelEndpointTests {
    // MARK: Policies

    static let goodPolicy: JSONBody = [
        "limitWorkingDays": 3, "greenLimitWorkingDays": 1, "warnAtFraction": 0.5, "escalateAfterWorkingDays": 2,
        "pausesForApplicant": false,
    ]

    func policies(_ api: APITester, _ token: String) async throws -> [[String: Any]] {
        let reply = try await api.send(.get, "/api/v1/sla-policies", token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.object["policies"] as? [[String: Any]] ?? []
    }

    func policy(_ list: [[String: Any]], _ stage: String) -> [String: Any] {
        list.first { $0["stage"] as? String == stage } ?? [:]
    }

    @Test("GET /sla-policies lists the five stages' standard policies; a center manager's PUT sets one, custom and shown on GET")
    func listAndSet() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let standard = try await policies(api, desk.agent)
            #expect(standard.compactMap { $0["stage"] as? String }.sorted() == ["acceptance", "handling", "joint_review", "signing", "summary"])
            #expect(standard.allSatisfy { $0["custom"] as? Bool == false })
            #expect(policy(standard, "acceptance")["limitWorkingDays"] as? Int == 2 && policy(standard, "acceptance")["greenLimitWorkingDays"] as? Int == 0)
            #expect(policy(standard, "handling")["limitWorkingDays"] == nil, "handling takes the item's limit")
            #expect(try await api.send(.get, "/api/v1/sla-policies").status == .unauthorized)

            let set = try await api.send(.put, "/api/v1/sla-policies/acceptance", token: desk.manager, json: Self.goodPolicy)
            #expect(set.status == .ok, "\(set.text)")
            #expect(set.object["custom"] as? Bool == true && set.object["limitWorkingDays"] as? Int == 3)
            let after = try await policies(api, desk.agent)
            #expect(policy(after, "acceptance")["custom"] as? Bool == true)
            #expect(policy(after, "acceptance")["limitWorkingDays"] as? Int == 3 && policy(after, "acceptance")["warnAtFraction"] as? Double == 0.5)
            #expect(after.filter { $0["custom"] as? Bool == true }.count == 1)
        }
    }

    @Test("bad policies answer 400 and change nothing: warning at 0.99, green limit above the normal one, a limit for handling; others than the center manager get 403")
    func refusedPolicies() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let before = try await api.send(.get, "/api/v1/sla-policies", token: desk.manager).text
            var late = Self.goodPolicy
            late["warnAtFraction"] = 0.99
            var greenAbove = Self.goodPolicy
            greenAbove["greenLimitWorkingDays"] = 4
            let bad: [(String, JSONBody, String)] = [
                ("acceptance", late, "warnAtFraction 0.99"), ("signing", greenAbove, "green above normal"),
                ("handling", Self.goodPolicy, "a limit for handling"),
            ]
            for (stage, body, label) in bad {
                expectProblem(try await api.send(.put, "/api/v1/sla-policies/\(stage)", token: desk.manager, json: body), .badRequest, label)
            }
            for token in [desk.agent, desk.civil, desk.jointOffice] {
                expectProblem(try await api.send(.put, "/api/v1/sla-policies/acceptance", token: token, json: Self.goodPolicy),
                              .forbidden, "not a center manager")
            }
            #expect(try await api.send(.get, "/api/v1/sla-policies", token: desk.manager).text == before)
            #expect(try await api.ownerCount("SELECT count(*) FROM sla_policies") == 0)
        }
    }

    // MARK: A case's deadlines

    @Test("GET /cases/{id}/deadlines shows a new case's acceptance deadline to staff who see the case, 404 to a village of another village")
    func caseDeadlines() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.register(1)
            try await api.slaSync(receipt.id)
            let path = "/api/v1/cases/\(receipt.id)/deadlines"
            for token in [desk.manager, desk.agent, desk.villageA, desk.auditor] {
                let reply = try await api.send(.get, path, token: token)
                #expect(reply.status == .ok, "\(reply.text)")
                let deadlines = reply.object["deadlines"] as? [[String: Any]] ?? []
                #expect(deadlines.count == 1 && deadlines.first?["stage"] as? String == "acceptance", "\(deadlines)")
                #expect(deadlines.first?["state"] as? String == "running" && apiDate(deadlines.first?["dueAt"]) != nil)
            }
            expectProblem(try await api.send(.get, path, token: desk.villageB), .notFound, "another village")
            expectProblem(try await api.send(.get, path, token: desk.civil), .notFound, "a department the case was not dispatched to")
            expectProblem(try await api.send(.get, "/api/v1/cases/\(UUID().uuidString)/deadlines", token: desk.manager), .notFound, "unknown case")
            expectOK(try await desk.dispatch(receipt.id), "dispatch")
            try await api.slaSync(receipt.id)
            let after = try await api.send(.get, path, token: desk.civil).object["deadlines"] as? [[String: Any]] ?? []
            #expect(after.map { "\($0["stage"] ?? "-"):\($0["state"] ?? "-")" }.sorted() == ["acceptance:ended", "signing:running"], "\(after)")
            #expect(after.first { $0["stage"] as? String == "acceptance" }?["endReason"] as? String == "met")
        }
    }

    // MARK: Notices and escalations

    // The limit guards against a hang, not for speed: beside the whole suite this test waits
    // behind every other test's bcrypt (cost 10) sign-ins, and has taken 90–119 s of a 92–122 s run.
    @Test("a missed signing: warning and due to 民政局's managers only, the escalation to the joint office; marking read; resolved when signed",
          .timeLimit(.minutes(5)))
    func noticesAndEscalations() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let managers = try await departmentManagers(desk)
            let receipt = try await desk.register(1)
            expectOK(try await desk.dispatch(receipt.id), "dispatch")
            try await api.slaSync(receipt.id)
            let deadline = try #require(try await api.slaOpenDeadlines(receipt.id).first)
            try await api.slaFireOverdue(deadline)
            try await expectNotices(desk, managers, caseID: receipt.id)
            try await expectEscalations(desk, managers, caseID: receipt.id)
            try await expectMarkRead(desk, managers)
            expectOK(try await desk.sign(try await desk.assignment(receipt.id), by: desk.civil), "sign")
            try await api.slaSync(receipt.id)
            let open = try await api.send(.get, "/api/v1/escalations", token: desk.jointOffice).object["escalations"] as? [[String: Any]]
            #expect(open?.isEmpty == true, "signed: no open escalation \(open ?? [])")
            let all = try await api.send(.get, "/api/v1/escalations?open=false", token: desk.jointOffice).object["escalations"] as? [[String: Any]]
            #expect(all?.count == 1 && apiDate(all?.first?["resolvedAt"]) != nil, "\(all ?? [])")
        }
    }

    /// 民政局's and 医保局's department managers.
    func departmentManagers(_ desk: CaseDesk) async throws -> (civil: String, medical: String) {
        let org = desk.county.countyOrgID
        let civil = try await desk.api.createUser(desk.manager, username: "civil.manager", orgID: org, roles: ["department_manager"],
                                                  departmentID: desk.civilID).token
        let medical = try await desk.api.createUser(desk.manager, username: "medical.manager", orgID: org, roles: ["department_manager"],
                                                    departmentID: desk.medicalID).token
        return (civil, medical)
    }

    func notices(_ desk: CaseDesk, _ token: String) async throws -> [[String: Any]] {
        let reply = try await desk.api.send(.get, "/api/v1/staff-notices", token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.object["notices"] as? [[String: Any]] ?? []
    }

    func expectNotices(_ desk: CaseDesk, _ managers: (civil: String, medical: String), caseID: String) async throws {
        let civil = try await notices(desk, managers.civil)
        #expect(civil.compactMap { $0["step"] as? String }.sorted() == ["due", "warning"], "\(civil)")
        #expect(civil.allSatisfy { $0["caseId"] as? String == caseID && $0["readAt"] == nil })
        #expect(try await notices(desk, managers.medical).isEmpty, "another department's manager")
        #expect(try await notices(desk, desk.civil).isEmpty, "a department agent: notices go to its managers")
        #expect(try await notices(desk, desk.manager).isEmpty, "the center's manager answers for acceptance, not signing")
        let office = try await notices(desk, desk.jointOffice)
        #expect(office.compactMap { $0["step"] as? String } == ["escalation"], "\(office)")
    }

    func escalations(_ desk: CaseDesk, _ token: String) async throws -> [[String: Any]] {
        let reply = try await desk.api.send(.get, "/api/v1/escalations", token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.object["escalations"] as? [[String: Any]] ?? []
    }

    func expectEscalations(_ desk: CaseDesk, _ managers: (civil: String, medical: String), caseID: String) async throws {
        let office = try await escalations(desk, desk.jointOffice)
        #expect(office.count == 1, "\(office)")
        let row = try #require(office.first)
        #expect(row["caseId"] as? String == caseID && row["stage"] as? String == "signing")
        #expect(row["departmentId"] as? String == desk.civilID && row["departmentName"] as? String == CaseDesk.civilName)
        #expect(row["resolvedAt"] == nil)
        #expect(try await escalations(desk, managers.civil).count == 1, "the department sees its own")
        #expect(try await escalations(desk, managers.medical).isEmpty, "another department does not")
        #expect(try await escalations(desk, desk.villageB).isEmpty, "another village does not")
    }

    func expectMarkRead(_ desk: CaseDesk, _ managers: (civil: String, medical: String)) async throws {
        let warning = try #require(try await notices(desk, managers.civil).first { $0["step"] as? String == "warning" }?["id"] as? Int)
        let path = "/api/v1/staff-notices/\(warning)/read"
        expectProblem(try await desk.api.send(.post, path, token: managers.medical), .notFound, "not addressed to 医保局")
        expectProblem(try await desk.api.send(.post, path, token: desk.jointOffice), .notFound, "not addressed to the joint office")
        expectProblem(try await desk.api.send(.post, "/api/v1/staff-notices/987654321/read", token: managers.civil), .notFound, "unknown")
        #expect(try await desk.api.send(.post, path, token: managers.civil).status == .noContent)
        #expect(try await desk.api.send(.post, path, token: managers.civil).status == .noContent, "already read")
        let after = try await notices(desk, managers.civil)
        #expect(apiDate(after.first { $0["id"] as? Int == warning }?["readAt"]) != nil)
        #expect(after.first { $0["step"] as? String == "due" }?["readAt"] == nil)
    }
}

// MARK: - The job runner's side, called directly

extension APITester {
    func slaCountyID(_ code: String = APITester.jiangyin) async throws -> UUID {
        let text = try await ownerStrings("SELECT county_id::text FROM counties WHERE division_code = \(code)").first
        return try #require(text.flatMap(UUID.init(uuidString:)))
    }

    var slaLevels: ServiceLevels { ServiceLevels(store: Store(pool: counties.pool)) }

    /// Opens and ends the case's deadlines, as the runner's `sla.sync` job does.
    func slaSync(_ caseID: String) async throws {
        try await slaLevels.sync(countyID: try await slaCountyID(), caseID: try #require(UUID(uuidString: caseID)))
    }

    func slaOpenDeadlines(_ caseID: String) async throws -> [UUID] {
        try await ownerStrings("""
            SELECT id::text FROM sla_deadlines WHERE case_id::text = \(caseID) AND ended_at IS NULL ORDER BY created_at
            """).compactMap(UUID.init(uuidString:))
    }

    func ownerExecute(sla query: PostgresQuery) async throws {
        let connection = try await PostgresConnection.connect(counties.owner)
        do {
            try await connection.execute(query)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    /// Moves the deadline's times into the past and takes its steps, as its timer does.
    func slaFireOverdue(_ deadline: UUID) async throws {
        try await ownerExecute(sla: """
            UPDATE sla_deadlines SET warn_at = now() - interval '3 minutes', due_at = now() - interval '2 minutes',
                                     escalate_at = now() - interval '1 minute'
            WHERE id = \(deadline)
            """)
        let fired = try await slaLevels.fire(countyID: try await slaCountyID(), deadlineID: deadline)
        #expect(fired.steps == [.warning, .due, .escalation])
    }
}
