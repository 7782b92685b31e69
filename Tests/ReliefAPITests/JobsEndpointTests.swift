import Foundation
import HTTPTypes
import Postgres
import Testing

/// A county's failed background jobs for its center managers (notices, callbacks, SLA
/// timers that failed for good): listed, retried or discarded — their own county's only —
/// and GET /metrics with the queue's and the pool's figures.
@Suite("Failed jobs and metrics over HTTP")
struct JobsEndpointTests {
    static let counties = [(APITester.jiangyin, "江阴市"), (APITester.yixing, "宜兴市")]

    /// A job of county `code` in `state`, written as the owner; answers its id.
    func job(_ api: APITester, county code: String, state: String) async throws -> Int64 {
        let countyID = try await api.slaCountyID(code)
        let connection = try await PostgresConnection.connect(api.counties.owner)
        do {
            let id = try await connection.query("""
                INSERT INTO job_queue.jobs (kind, queue, payload, state, attempt, max_attempts, tenant, last_error, finished_at, run_at)
                VALUES ('outbox.deliver', 'delivery', '{}', \(state)::job_queue.job_state, 12, 12, \(countyID),
                        'HTTP 400 from http://gateway.example/sms: refused',
                        CASE WHEN \(state) = 'failed' THEN now() END,
                        CASE WHEN \(state) = 'scheduled' THEN now() + interval '1 hour' ELSE now() END)
                RETURNING id
                """).scalar(Int64.self)
            await connection.close()
            return try #require(id)
        } catch {
            await connection.close()
            throw error
        }
    }

    func jobState(_ api: APITester, _ id: Int64) async throws -> String? {
        try await api.ownerStrings("SELECT state::text FROM job_queue.jobs WHERE id = \(id)").first
    }

    @Test("GET /jobs/failed lists the county's failed jobs to its center manager only; another county's are not listed")
    func listFailed() async throws {
        try await APITester.run(counties: Self.counties) { api in
            let desk = try await CaseDesk.make(api)
            let own = try await job(api, county: APITester.jiangyin, state: "failed")
            let other = try await job(api, county: APITester.yixing, state: "failed")
            _ = try await job(api, county: APITester.jiangyin, state: "scheduled")
            let reply = try await api.send(.get, "/api/v1/jobs/failed", token: desk.manager)
            #expect(reply.status == .ok, "\(reply.text)")
            let jobs = reply.object["jobs"] as? [[String: Any]] ?? []
            #expect(jobs.compactMap { ($0["id"] as? Int).map(Int64.init) } == [own], "\(jobs)")
            #expect(jobs.first?["kind"] as? String == "outbox.deliver" && (jobs.first?["lastError"] as? String)?.contains("400") == true)
            #expect(!reply.text.contains("\(other)") || jobs.count == 1)
            for token in [desk.agent, desk.civil, desk.jointOffice, desk.auditor] {
                expectProblem(try await api.send(.get, "/api/v1/jobs/failed", token: token), .forbidden, "not a center manager")
            }
            let yixing = try await api.signIn(county: APITester.yixing)
            let theirs = try await api.send(.get, "/api/v1/jobs/failed", token: yixing).object["jobs"] as? [[String: Any]] ?? []
            #expect(theirs.compactMap { ($0["id"] as? Int).map(Int64.init) } == [other])
        }
    }

    @Test("retry and discard: 204 on the county's failed job; 404 for an unknown job or another county's; 409 for a job not failed; 403 for others")
    func retryAndDiscard() async throws {
        try await APITester.run(counties: Self.counties) { api in
            let desk = try await CaseDesk.make(api)
            let first = try await job(api, county: APITester.jiangyin, state: "failed")
            let second = try await job(api, county: APITester.jiangyin, state: "failed")
            let waiting = try await job(api, county: APITester.jiangyin, state: "scheduled")
            let other = try await job(api, county: APITester.yixing, state: "failed")
            try await expectRefusals(api, desk, first: first, waiting: waiting, other: other)
            #expect(try await api.send(.post, "/api/v1/jobs/\(first)/retry", token: desk.manager).status == .noContent)
            #expect(try await jobState(api, first) == "available")
            expectProblem(try await api.send(.post, "/api/v1/jobs/\(first)/retry", token: desk.manager), .conflict, "retried already")
            #expect(try await api.send(.post, "/api/v1/jobs/\(second)/discard", token: desk.manager).status == .noContent)
            #expect(try await jobState(api, second) == nil)
            expectProblem(try await api.send(.post, "/api/v1/jobs/\(second)/discard", token: desk.manager), .notFound, "discarded already")
            #expect(try await jobState(api, other) == "failed", "another county's job is untouched")
            #expect(try await api.auditCount("job_retried", objectID: String(first)) == 1)
            #expect(try await api.auditCount("job_discarded", objectID: String(second)) == 1)
        }
    }

    func expectRefusals(_ api: APITester, _ desk: CaseDesk, first: Int64, waiting: Int64, other: Int64) async throws {
        for action in ["retry", "discard"] {
            expectProblem(try await api.send(.post, "/api/v1/jobs/987654321/\(action)", token: desk.manager), .notFound, "\(action) unknown")
            expectProblem(try await api.send(.post, "/api/v1/jobs/\(other)/\(action)", token: desk.manager), .notFound, "\(action) other county's")
            expectProblem(try await api.send(.post, "/api/v1/jobs/\(waiting)/\(action)", token: desk.manager), .conflict, "\(action) a waiting job")
            expectProblem(try await api.send(.post, "/api/v1/jobs/\(first)/\(action)", token: desk.agent), .forbidden, "\(action) by an agent")
        }
        #expect(try await jobState(api, first) == "failed")
        #expect(try await jobState(api, waiting) == "scheduled")
        #expect(try await jobState(api, other) == "failed")
    }

    @Test("GET /metrics answers 200 in Prometheus' text format with relieflink_jobs and relieflink_db_pool_connections")
    func metrics() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            _ = try await desk.register(1)  // its sla.sync job waits in the queue
            let reply = try await api.send(.get, "/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true, "\(reply.headers)")
            let lines = reply.text.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix("relieflink_jobs{") && $0.contains("kind=\"sla.sync\"") && $0.contains("state=\"available\"") },
                    "\(reply.text.prefix(2000))")
            #expect(lines.contains { $0.hasPrefix("relieflink_db_pool_connections{") && $0.contains("state=\"idle\"") })
            #expect(lines.contains { $0.hasPrefix("# TYPE relieflink_jobs gauge") })
        }
    }
}
