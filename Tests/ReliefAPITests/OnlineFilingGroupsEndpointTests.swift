import Foundation
import HTTPTypes
import Testing

/// Online applications that arrive together are filed together (sql/migrations/0017), yet
/// each is answered, numbered, timed and flagged as if it had come alone (§5.1.2). How they
/// are gathered into groups is tested on its own (FilingGroupsTests); the group statement
/// with its refusals and in-group duplicates, in FilingStatementTests.
@Suite("Online applications filed in groups")
struct OnlineFilingGroupsEndpointTests {
    @Test("§5.1.2: forty applications at once are each filed with their own number, opening event and SLA timer; bad ones are refused alone")
    func concurrentApplications() async throws {
        try await APITester.run(maximumConnections: 4) { api in
            _ = try await IntakeCounty.make(api)
            // 36 applicants, one of whom applies twice for the same item, and two applications
            // for an item the county does not offer.
            var bodies: [(label: String, body: JSONBody)] = (1...36).map { n in
                ("applicant \(n)", OnlineApplicationEndpointTests.application(
                    itemCode: n.isMultiple(of: 2) ? "dibao" : "linshi", applicant: APITester.applicant(ResidentIDs.number(100 + n))))
            }
            bodies.append(("applicant 1 again", bodies[0].body))
            bodies += (1...2).map { n in
                ("unknown item \(n)", OnlineApplicationEndpointTests.application(
                    itemCode: "lottery", applicant: APITester.applicant(ResidentIDs.number(200 + n))))
            }
            let replies = try await withThrowingTaskGroup(of: (String, APIReply).self) { group in
                for (label, body) in bodies {
                    group.addTask { (label, try await api.send(.post, "/api/v1/public/applications", json: body)) }
                }
                return try await group.reduce(into: [String: APIReply]()) { $0[$1.0] = $1.1 }
            }

            let filed = replies.filter { !$0.key.hasPrefix("unknown") }
            for (label, reply) in filed {
                #expect(reply.status == .created, "\(label): \(String(decoding: reply.body, as: UTF8.self))")
            }
            for label in ["unknown item 1", "unknown item 2"] {
                #expect(replies[label]?.status == .badRequest && replies[label]?.isProblem == true, "\(label)")
            }
            let numbers = filed.values.compactMap { $0.string("caseNumber") }
            #expect(numbers.count == 37 && Set(numbers).count == 37, "every filed application has a number of its own")
            #expect(Set(filed.values.compactMap { $0.string("queryCode") }).count == 37)

            #expect(try await api.caseCount() == 37)
            #expect(try await api.ownerCount("""
                SELECT count(*) FROM cases c
                WHERE (SELECT count(*) FROM case_events e WHERE e.county_id = c.county_id AND e.case_id = c.id
                       AND e.action = 'submitted' AND e.actor_label = '网上申请') = 1
                """) == 37, "each case has exactly one opening event")
            #expect(try await api.ownerCount("""
                SELECT count(*) FROM job_queue.jobs j JOIN cases c ON j.unique_key = 'sla.sync:' || c.id
                WHERE j.kind = 'sla.sync' AND j.queue = 'sla'
                """) == 37, "each case asked for its SLA timers")
            // The second application of applicant 1 is flagged against the first, whichever
            // group either landed in.
            let first = try #require(replies["applicant 1"]?.string("caseNumber"))
            let second = try #require(replies["applicant 1 again"]?.string("caseNumber"))
            #expect(try await api.ownerCount("""
                SELECT count(*) FROM cases later JOIN cases earlier ON earlier.id = later.possible_duplicate_of
                WHERE later.case_number IN (\(first), \(second)) AND earlier.case_number IN (\(first), \(second))
                """) == 1, "one of the two is flagged as a possible duplicate of the other")
            #expect(try await api.ownerCount("SELECT count(*) FROM cases WHERE possible_duplicate_of IS NOT NULL") == 1)
        }
    }
}
