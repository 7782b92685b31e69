import Foundation
import HTTPTypes
import ReliefDomain
import Testing

/// Who may see and do what in the linkage workflow (DB32/T 4012-2021 §5.2–§5.6, DESIGN.md
/// "Users and what they do"): departments see only what was dispatched to them, villages only
/// their own, auditors only read, and two staff acting at once leave one winner.
@Suite("Workflow access over HTTP")
struct WorkflowAccessEndpointTests {
    @Test("§5.3–§5.4: a department cannot act on another department's assignment (404, nothing changes) nor see a case never dispatched to it")
    func departmentsKeepToTheirOwn() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let dispatched = try await desk.caseIn(.dispatched, 1).id
            let neverDispatched = try await desk.caseIn(.submitted, 2).id
            let assignment = try await desk.assignment(dispatched)
            let unknown = try await desk.sign(UUID().uuidString, by: desk.medical)
            expectProblem(unknown, .notFound, "an unknown assignment")

            let before = try await desk.snapshot(dispatched)
            for action in AssignmentAction.allCases {
                let reply = try await desk.perform(action, on: assignment, by: desk.medical)
                expectProblem(reply, .notFound, "医保局 \(action.rawValue) on 民政局's assignment")
                #expect(NSDictionary(dictionary: reply.object) == NSDictionary(dictionary: unknown.object),
                        "another department's assignment answers like one that does not exist")
            }
            #expect(try await desk.snapshot(dispatched) == before)
            try await expectHidden(desk, dispatched, from: desk.medical, "a case dispatched to 民政局 only")
            try await expectHidden(desk, neverDispatched, from: desk.medical, "a submitted case")
            try await expectHidden(desk, neverDispatched, from: desk.civil, "a submitted case")

            // 民政局 itself sees its case and its queue, and signs.
            #expect(try await desk.detail(dispatched, as: desk.civil).status == .ok)
            #expect(try await desk.queue(desk.civil) == [dispatched])
            expectOK(try await desk.sign(assignment, by: desk.civil), "民政局 signs its own")
        }
    }

    /// 404 for the detail, absent from the list and from the queue.
    func expectHidden(_ desk: CaseDesk, _ id: String, from token: String, _ label: String,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        expectProblem(try await desk.detail(id, as: token), .notFound, label, sourceLocation: sourceLocation)
        let list = try await desk.get("/cases", token).array.compactMap { $0["id"] as? String }
        #expect(!list.contains(id), "\(label): listed", sourceLocation: sourceLocation)
        #expect(!(try await desk.queue(token)).contains(id), "\(label): queued", sourceLocation: sourceLocation)
    }

    @Test("§5.5: a village agent cannot read another village's case nor report another village's task (404); a task goes only to the applicant's village")
    func villagesKeepToTheirOwn() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let inA = try await desk.caseIn(.inProgress, 1).id
            let inB = try await desk.register(2, org: desk.county.villageB).id
            let assignment = try await desk.assignment(inA)
            expectProblem(try await desk.delegate(assignment, by: desk.civil, org: desk.county.villageB), .badRequest,
                          "a task for a village that is not the applicant's")
            let delegated = try await desk.delegate(assignment, by: desk.civil)
            expectOK(delegated, "delegate to 东门社区")
            let task = try #require(delegated.tasks.first?["id"] as? String)

            try await expectHidden(desk, inA, from: desk.villageB, "东门社区's case for 西门社区")
            expectProblem(try await desk.detail(inB, as: desk.villageA), .notFound, "西门社区's case for 东门社区")
            let before = try await desk.snapshot(inA)
            expectProblem(try await desk.report(task, by: desk.villageB), .notFound, "西门社区 reports 东门社区's task")
            #expect(try await desk.snapshot(inA) == before)

            #expect(try await desk.queue(desk.villageA) == [inA])
            expectOK(try await desk.report(task, by: desk.villageA), "东门社区 reports")
            #expect(try await desk.queue(desk.villageA).isEmpty, "a reported task leaves the village's queue")
        }
    }

    @Test("§5.3: two center staff dispatching the same case at once: exactly one 200 and one 409, one assignment, one dispatch event (five rounds)")
    func concurrentDispatch() async throws {
        try await APITester.run(maximumConnections: 8) { api in
            let desk = try await CaseDesk.make(api)
            for round in 1...5 {
                try await dispatchRace(desk, round)
            }
        }
    }

    func dispatchRace(_ desk: CaseDesk, _ round: Int) async throws {
        let id = try await desk.caseIn(.submitted, 10 + round).id
        let replies = try await withThrowingTaskGroup(of: (String, APIReply).self) { group in
            group.addTask { (desk.civilID, try await desk.dispatch(id, to: [desk.civilID], by: desk.manager)) }
            group.addTask { (desk.medicalID, try await desk.dispatch(id, to: [desk.medicalID], by: desk.agent)) }
            var replies: [(String, APIReply)] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        let statuses = replies.map(\.1.status.code).sorted()
        #expect(statuses == [200, 409], "round \(round): \(statuses)")
        guard let winner = replies.first(where: { $0.1.status == .ok })?.0,
              let loser = replies.first(where: { $0.1.status == .conflict })?.1 else { return }
        expectRefused(loser, allowed: CaseWorkflow.allowedActions(in: .dispatched).map(\.rawValue), "round \(round): the second dispatch")
        let detail = try await desk.detail(id)
        #expect(detail.caseStatus == "dispatched")
        #expect(detail.assignments.compactMap { $0["departmentId"] as? String } == [winner], "round \(round)")
        #expect(detail.events.filter { $0["action"] as? String == "dispatch" }.count == 1, "round \(round)")
    }

    @Test("an auditor reads cases but every workflow action answers 403 and changes nothing")
    func auditorOnlyReads() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let submitted = try await desk.caseIn(.submitted, 1).id
            let accepted = try await desk.caseIn(.inProgress, 2).id
            let assignment = try await desk.assignment(accepted)
            let delegated = try await desk.delegate(assignment, by: desk.civil)
            let task = try #require(delegated.tasks.first?["id"] as? String)
            let requested = try await desk.requestExtension(assignment, by: desk.civil)
            let extensionID = try #require(requested.extensions.first?["id"] as? String)

            let read = try await desk.detail(accepted, as: desk.auditor)
            #expect(read.status == .ok && read.assignments.count == 1 && read.tasks.count == 1)
            #expect((read.object["applicant"] as? [String: Any])?["masked"] as? Bool == true)
            #expect(try await desk.queue(desk.auditor).isEmpty, "an auditor has no work waiting")

            let before = (try await desk.snapshot(submitted), try await desk.snapshot(accepted))
            try await expectForbidden(desk, desk.auditor, submitted: submitted, assignment: assignment, task: task, extensionID: extensionID)
            expectProblem(try await desk.post("/public-notices", desk.auditor,
                                              ["title": "公示", "periodStart": shanghaiToday(), "periodEnd": shanghaiToday(), "days": 7]),
                          .forbidden, "auditor publishes a notice")
            #expect(try await desk.snapshot(submitted) == before.0)
            #expect(try await desk.snapshot(accepted) == before.1)
        }
    }

    /// Every case action on `submitted`, every assignment action, the task report and the
    /// extension decision answer 403 for `token`.
    func expectForbidden(_ desk: CaseDesk, _ token: String, submitted: String, assignment: String, task: String,
                         extensionID: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        expectProblem(try await desk.reject(submitted, by: token), .forbidden, "reject", sourceLocation: sourceLocation)
        expectProblem(try await desk.dispatch(submitted, by: token), .forbidden, "dispatch", sourceLocation: sourceLocation)
        expectProblem(try await desk.refer(submitted, by: token), .forbidden, "refer", sourceLocation: sourceLocation)
        expectProblem(try await desk.decide(submitted, by: token), .forbidden, "decide", sourceLocation: sourceLocation)
        expectProblem(try await desk.close(submitted, by: token), .forbidden, "close", sourceLocation: sourceLocation)
        expectProblem(try await desk.followUp(submitted, by: token), .forbidden, "follow-up", sourceLocation: sourceLocation)
        expectProblem(try await desk.withdraw(submitted, by: token), .forbidden, "withdraw", sourceLocation: sourceLocation)
        for action in AssignmentAction.allCases {
            expectProblem(try await desk.perform(action, on: assignment, by: token), .forbidden, action.rawValue, sourceLocation: sourceLocation)
        }
        expectProblem(try await desk.report(task, by: token), .forbidden, "report", sourceLocation: sourceLocation)
        expectProblem(try await desk.decideExtension(extensionID, approve: true, by: token), .forbidden, "extension decision",
                      sourceLocation: sourceLocation)
    }

    @Test("§5.3–§5.4: the joint office cannot dispatch, the center cannot decide, departments cannot accept or close, villages cannot sign (403, nothing changes)")
    func eachRoleItsOwnSteps() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let submitted = try await desk.caseIn(.submitted, 1).id
            let decided = try await desk.caseIn(.jointReview, 2, decided: true).id
            let completed = try await desk.caseIn(.completed, 3).id
            let dispatched = try await desk.caseIn(.dispatched, 4).id
            let pending = try await desk.assignment(dispatched)
            let snapshots = [try await desk.snapshot(submitted), try await desk.snapshot(decided), try await desk.snapshot(completed)]

            expectProblem(try await desk.dispatch(submitted, by: desk.jointOffice), .forbidden, "joint office dispatches a submitted case")
            expectProblem(try await desk.dispatch(decided, to: [desk.civilID, desk.medicalID], lead: desk.civilID, by: desk.jointOffice),
                          .forbidden, "joint office dispatches its own decision")
            expectProblem(try await desk.decide(decided, by: desk.manager), .forbidden, "center manager decides")
            expectProblem(try await desk.decide(decided, by: desk.agent), .forbidden, "center agent decides")
            expectProblem(try await desk.reject(submitted, by: desk.civil), .forbidden, "department rejects")
            expectProblem(try await desk.dispatch(submitted, by: desk.civil), .forbidden, "department dispatches")
            expectProblem(try await desk.close(completed, by: desk.civil), .forbidden, "department closes")
            expectProblem(try await desk.close(completed, by: desk.agent), .forbidden, "center agent closes (managers only, §5.6)")
            expectProblem(try await desk.close(completed, by: desk.jointOffice), .forbidden, "joint office closes")
            expectProblem(try await desk.sign(pending, by: desk.villageA), .forbidden, "village agent signs")
            expectProblem(try await desk.sign(pending, by: desk.manager), .forbidden, "center manager signs")
            expectProblem(try await desk.sign(pending, by: desk.jointOffice), .forbidden, "joint office signs")
            #expect([try await desk.snapshot(submitted), try await desk.snapshot(decided), try await desk.snapshot(completed)] == snapshots)
            #expect(try await desk.detail(dispatched).assignment(pending)?["status"] as? String == "pending")
        }
    }
}
