import Foundation
import Testing

/// The lead department (牵头部门) of a case handled by several departments (§5.3, DESIGN.md
/// "The case"): joint handling never goes on without one, also when the lead returns its part.
@Suite("The lead department over HTTP")
struct WorkflowLeadEndpointTests {
    @Test("§5.3 退单 by the lead: the lead passes to the department still on the case, and the timeline says so")
    func leadReturnsAndTheLeadPasses() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.register(1).id
            expectOK(try await desk.dispatch(id, to: [desk.civilID, desk.medicalID], lead: desk.civilID), "dispatch to two, 民政局 leading")
            let returned = try await desk.returnAssignment(try await desk.assignment(id), by: desk.civil)
            expectOK(returned, "民政局 returns")
            #expect(returned.caseStatus == "dispatched", "医保局 still handles it")
            #expect(returned.assignment(department: desk.medicalID)?["lead"] as? Bool == true, "医保局 now leads")
            #expect(returned.assignment(department: desk.civilID)?["lead"] as? Bool == false)
            let passed = returned.events.filter { $0["action"] as? String == "lead_passed" }
            #expect(passed.count == 1, "\(returned.events.compactMap { $0["action"] as? String })")
            #expect((passed.first?["detail"] as? [String: Any])?["department"] as? String == CaseDesk.medicalName)
            #expect(passed.first?["visibleToApplicant"] as? Bool == false)

            // The new lead carries the case to its end as before.
            let medical = try await desk.assignment(id, department: desk.medicalID)
            expectOK(try await desk.sign(medical, by: desk.medical), "医保局 signs")
            let done = try await desk.outcome(medical, by: desk.medical)
            expectOK(done, "医保局 grants")
            #expect(done.caseStatus == "completed")
        }
    }

    @Test("§5.3 the lead passes to a department still handling its part, not to one that has finished it")
    func leadPassesToOneStillHandling() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let educationID = try await api.departmentID(desk.manager, named: "教育局")
            let id = try await desk.register(3).id
            expectOK(try await desk.dispatch(id, to: [desk.civilID, desk.medicalID, educationID], lead: desk.civilID), "dispatch to three")
            // 医保局 signs and finishes first; 教育局 has not signed yet.
            let medical = try await desk.assignment(id, department: desk.medicalID)
            expectOK(try await desk.sign(medical, by: desk.medical), "医保局 signs")
            expectOK(try await desk.outcome(medical, by: desk.medical), "医保局 finishes")
            let returned = try await desk.returnAssignment(try await desk.assignment(id), by: desk.civil)
            expectOK(returned, "民政局 returns")
            #expect(returned.assignment(department: educationID)?["lead"] as? Bool == true, "教育局, still handling, leads")
            #expect(returned.assignment(department: desk.medicalID)?["lead"] as? Bool == false)
        }
    }

    @Test("§5.3 退单 by a department that does not lead leaves the lead where it is, and records no change of lead")
    func otherDepartmentReturns() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.register(2).id
            expectOK(try await desk.dispatch(id, to: [desk.civilID, desk.medicalID], lead: desk.civilID), "dispatch to two")
            let returned = try await desk.returnAssignment(try await desk.assignment(id, department: desk.medicalID), by: desk.medical)
            expectOK(returned, "医保局 returns")
            #expect(returned.assignment(department: desk.civilID)?["lead"] as? Bool == true)
            #expect(!returned.events.contains { $0["action"] as? String == "lead_passed" })

            // Then the lead returns too: nobody is left to lead, and the case goes back to the center.
            let last = try await desk.returnAssignment(try await desk.assignment(id), by: desk.civil)
            expectOK(last, "民政局 returns as well")
            #expect(last.caseStatus == "submitted")
            #expect(last.assignments.allSatisfy { $0["lead"] as? Bool == false })
            #expect(!last.events.contains { $0["action"] as? String == "lead_passed" })
            #expect(try await desk.queue(desk.manager).contains(id), "back in the center's queue")
        }
    }
}
