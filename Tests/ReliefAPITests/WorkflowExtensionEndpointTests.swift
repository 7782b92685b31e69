import Foundation
import HTTPTypes
import ReliefDomain
import Testing

/// 延期 (DESIGN.md "The case"; DB32/T 4012-2021 §5.4): a department handling an assignment asks
/// for more time with a reason; one request is open at a time; the center manager approves,
/// which moves the deadlines, or refuses; a decided request is not decided again.
@Suite("Workflow extensions over HTTP")
struct WorkflowExtensionEndpointTests {
    @Test("§5.4 延期: a request on an accepted assignment is recorded; a second one while it is open answers 409; the manager's approval moves the assignment's and the case's dueAt by the days; deciding it again answers 409")
    func requestApproveAndDecideAgain() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.caseIn(.inProgress, 1)
            let assignment = try await desk.assignment(receipt.id)
            let extensionID = try await request(desk, receipt.id, assignment)
            try await refuseSecondRequest(desk, receipt.id, assignment)
            try await approve(desk, receipt, assignment, extensionID)
        }
    }

    @Test("withdrawing a case ends its work: assignments leave the queues, open field work cannot be reported, an open extension is answered")
    func withdrawalEndsWork() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.caseIn(.inProgress, 2)
            let assignment = try await desk.assignment(receipt.id)
            let delegated = try await desk.delegate(assignment, by: desk.civil)
            expectOK(delegated, "delegate")
            let task = try #require(delegated.tasks.first?["id"] as? String)
            expectOK(try await desk.requestExtension(assignment, by: desk.civil, days: 3), "request")
            let extensionID = try #require(try await desk.detail(receipt.id).extensions.first?["id"] as? String)
            #expect(try await desk.queue(desk.civil) == [receipt.id])
            #expect(try await desk.queue(desk.villageA) == [receipt.id])

            expectOK(try await desk.withdraw(receipt.id), "withdraw")
            #expect(try await desk.queue(desk.civil).isEmpty, "the department's queue")
            #expect(try await desk.queue(desk.villageA).isEmpty, "the village's queue")
            expectProblem(try await desk.report(task, by: desk.villageA), .conflict, "reporting field work of a withdrawn case")
            expectProblem(try await desk.decideExtension(extensionID, approve: true), .conflict, "approving an extension of a withdrawn case")
            let after = try await desk.detail(receipt.id)
            #expect(after.extensions.first?["status"] as? String == "refused", "\(after.extensions)")
            #expect(!after.events.contains { $0["action"] as? String == "extension_approved" })
        }
    }

    @Test("recording the outcome answers an open extension request: it cannot be approved on a finished assignment")
    func outcomeAnswersExtension() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.caseIn(.inProgress, 3)
            let assignment = try await desk.assignment(receipt.id)
            expectOK(try await desk.requestExtension(assignment, by: desk.civil, days: 3), "request")
            let extensionID = try #require(try await desk.detail(receipt.id).extensions.first?["id"] as? String)
            expectOK(try await desk.outcome(assignment, by: desk.civil), "outcome")
            expectProblem(try await desk.decideExtension(extensionID, approve: true), .conflict, "approving after the outcome")
            #expect(try await desk.detail(receipt.id).extensions.first?["status"] as? String == "refused")
        }
    }

    /// The first request: 200, one extension `requested` with its days and reason; nothing else moves.
    func request(_ desk: CaseDesk, _ id: String, _ assignment: String) async throws -> String {
        expectProblem(try await desk.requestExtension(assignment, by: desk.civil, days: 0), .badRequest, "0 days")
        expectProblem(try await desk.requestExtension(assignment, by: desk.civil, days: 31), .badRequest, "31 days")
        let before = try await desk.detail(id)
        let requested = try await desk.requestExtension(assignment, by: desk.civil, days: 7)
        expectOK(requested, "request")
        #expect(requested.extensions.count == 1, "\(requested.extensions)")
        let row = try #require(requested.extensions.first)
        #expect(row["status"] as? String == "requested" && row["days"] as? Int == 7 && row["assignmentId"] as? String == assignment)
        #expect(row["reason"] as? String == "需等待医院出具费用清单")
        #expect(requested.caseStatus == "in_progress" && requested.assignment(assignment)?["status"] as? String == "accepted")
        #expect(requested.assignment(assignment)?["dueAt"] as? String == before.assignment(assignment)?["dueAt"] as? String,
                "asking moves no deadline")
        #expect(requested.events.last?["action"] as? String == "request_extension")
        return try #require(row["id"] as? String)
    }

    func refuseSecondRequest(_ desk: CaseDesk, _ id: String, _ assignment: String) async throws {
        let before = try await desk.snapshot(id)
        expectProblem(try await desk.requestExtension(assignment, by: desk.civil, days: 3), .conflict, "a second request while one is open")
        expectProblem(try await desk.requestExtension(assignment, by: desk.medical, days: 3), .notFound, "another department asks")
        #expect(try await desk.snapshot(id) == before)
    }

    /// Only the center manager decides; approval moves both deadlines by exactly the days, once.
    func approve(_ desk: CaseDesk, _ receipt: CaseDesk.Receipt, _ assignment: String, _ extensionID: String) async throws {
        let id = receipt.id
        let before = try await desk.detail(id)
        let assignmentDue = try #require(apiDate(before.assignment(assignment)?["dueAt"]))
        let caseDue = try #require(apiDate(before.handling["dueAt"]))
        expectProblem(try await desk.decideExtension(extensionID, approve: true, by: desk.civil), .forbidden, "the department decides")
        expectProblem(try await desk.decideExtension(extensionID, approve: true, by: desk.agent), .forbidden, "a center agent decides")
        expectProblem(try await desk.decideExtension(UUID().uuidString, approve: true), .notFound, "an unknown extension")

        let approved = try await desk.decideExtension(extensionID, approve: true)
        expectOK(approved, "approve")
        #expect(approved.extensions.first?["status"] as? String == "approved" && approved.extensions.first?["decisionNote"] as? String == "同意延期")
        let movedAssignment = try #require(apiDate(approved.assignment(assignment)?["dueAt"]))
        let movedCase = try #require(apiDate(approved.handling["dueAt"]))
        // Seven working days on the county's calendar (no holidays set here: weekends only).
        let calendar = WorkingCalendar()
        #expect(abs(movedAssignment.timeIntervalSince(calendar.adding(workingDays: 7, to: assignmentDue))) < 1,
                "assignment due \(assignmentDue) → \(movedAssignment)")
        #expect(abs(movedCase.timeIntervalSince(calendar.adding(workingDays: 7, to: caseDue))) < 1, "case due \(caseDue) → \(movedCase)")
        #expect(approved.events.last?["action"] as? String == "extension_approved")

        let after = try await desk.snapshot(id)
        expectProblem(try await desk.decideExtension(extensionID, approve: false), .conflict, "refusing a decided extension")
        expectProblem(try await desk.decideExtension(extensionID, approve: true), .conflict, "approving it twice")
        #expect(try await desk.snapshot(id) == after, "deciding again moves nothing")

        let progress = try await desk.progress(receipt)
        let events = progress.object["events"] as? [[String: Any]] ?? []
        #expect(events.last?["action"] as? String == "extension_approved", "the applicant sees the new deadline")
        #expect(abs((apiDate(progress.object["dueAt"]) ?? .distantPast).timeIntervalSince(movedCase)) < 1)
    }

    @Test("§5.4 延期: once decided, a new request may be made; the manager's refusal leaves every deadline where it was")
    func refusedExtensionMovesNothing() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.inProgress, 2).id
            let assignment = try await desk.assignment(id)
            let first = try #require(try await desk.requestExtension(assignment, by: desk.civil, days: 5).extensions.first?["id"] as? String)
            let before = try await desk.detail(id)
            let refused = try await desk.decideExtension(first, approve: false)
            expectOK(refused, "refuse")
            #expect(refused.extensions.first?["status"] as? String == "refused")
            #expect(refused.assignment(assignment)?["dueAt"] as? String == before.assignment(assignment)?["dueAt"] as? String)
            #expect(refused.handling["dueAt"] as? String == before.handling["dueAt"] as? String)
            #expect(refused.events.last?["action"] as? String == "extension_refused")
            #expect(refused.events.last?["visibleToApplicant"] as? Bool == false)

            let second = try await desk.requestExtension(assignment, by: desk.civil, days: 3)
            expectOK(second, "a new request after the refusal")
            #expect(second.extensions.map { $0["status"] as? String } == ["refused", "requested"])
            expectProblem(try await desk.decideExtension(first, approve: true), .conflict, "approving the refused one")
        }
    }
}
