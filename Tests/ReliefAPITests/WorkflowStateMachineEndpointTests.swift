import Foundation
import HTTPTypes
import ReliefDomain
import Testing

/// The workflow's state machines through the API (DB32/T 4012-2021 figure 1, §5.2–§5.6;
/// DESIGN.md "The case"): in every state, every action either succeeds and leads where
/// `CaseWorkflow`/`AssignmentWorkflow`/`TaskWorkflow` say, or answers 409 naming exactly what
/// the state allows and changes nothing. Each state is reached on a fresh case.
@Suite("Workflow state machines over HTTP")
struct WorkflowStateMachineEndpointTests {
    /// The case states' allowed actions as DESIGN.md "The case" describes them, so the domain's
    /// table the API answers from is itself checked.
    static let designedCaseActions: [CaseStatus: [CaseAction]] = [
        .submitted: [.reject, .dispatch, .refer, .withdraw],
        .rejected: [],
        .dispatched: [.withdraw],
        .jointReview: [.reject, .dispatch, .decide, .withdraw],
        .inProgress: [.withdraw],
        .completed: [.close],
        .closed: [.followUp, .reopen],
        .withdrawn: [],
    ]

    static let designedAssignmentActions: [AssignmentStatus: [AssignmentAction]] = [
        .pending: [.signFor, .return],
        .accepted: [.delegate, .requestExtension, .recordOutcome],
        .returned: [],
        .done: [],
    ]

    // MARK: Cases

    @Test("figure 1, §5.2–§5.6: in every case state the allowed case actions succeed and lead where CaseWorkflow says; every other one answers 409 with exactly the allowed actions and changes nothing")
    func caseActionsInEveryState() async throws {
        for state in CaseStatus.allCases {
            #expect(CaseWorkflow.allowedActions(in: state) == Self.designedCaseActions[state], "\(state)")
        }
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            var n = 100
            for state in CaseStatus.allCases {
                try await refusedCaseActions(desk, state, n)
                n += 1
                for action in CaseWorkflow.allowedActions(in: state) {
                    try await allowedCaseAction(desk, state, action, n)
                    n += 1
                }
            }
        }
    }

    /// Every action `state` does not allow, on one case: 409, allowedActions, nothing changed.
    func refusedCaseActions(_ desk: CaseDesk, _ state: CaseStatus, _ n: Int) async throws {
        let id = try await desk.caseIn(state, n).id
        let allowed = CaseWorkflow.allowedActions(in: state)
        let before = try await desk.snapshot(id)
        for action in CaseAction.allCases where !allowed.contains(action) {
            let reply = try await desk.perform(action, on: id)
            expectRefused(reply, allowed: allowed.map(\.rawValue), "\(action.rawValue) in \(state.rawValue)")
            let after = try await desk.snapshot(id)
            #expect(after == before, "\(action.rawValue) in \(state.rawValue) changed the case: \(before) → \(after)")
        }
    }

    /// One allowed action on a fresh case: 200, the next state, one event (two for a reopening follow-up).
    func allowedCaseAction(_ desk: CaseDesk, _ state: CaseStatus, _ action: CaseAction, _ n: Int) async throws {
        let label = "\(action.rawValue) in \(state.rawValue)"
        // From the joint review the center dispatches only what the joint office decided (§5.4).
        let id = try await desk.caseIn(state, n, decided: state == .jointReview && action == .dispatch).id
        let before = try await desk.snapshot(id)
        let next = try #require(CaseWorkflow.next(from: state, on: action))
        let reply = try await desk.perform(action, on: id)
        expectOK(reply, label)
        #expect(reply.caseStatus == next.rawValue, "\(label) → \(reply.caseStatus ?? "-")")
        #expect(reply.caseAllowedActions == CaseWorkflow.allowedActions(in: next).map(\.rawValue), "\(label)")
        #expect(reply.events.count == before.events + (action == .reopen ? 2 : 1), "\(label): events")
        let last = reply.events.last ?? [:]
        #expect(last["action"] as? String == action.rawValue, "\(label): last event \(last["action"] ?? "-")")
        #expect(last["fromStatus"] as? String == state.rawValue && last["toStatus"] as? String == next.rawValue, "\(label)")
        #expect(try await desk.detail(id).caseStatus == next.rawValue, "\(label): stored")
    }

    @Test("§5.4: under joint review the center cannot dispatch before the joint office decides relief (409, nothing changes); no relief rejects and tells the applicant")
    func dispatchWaitsForTheDecision() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.jointReview, 1).id
            let before = try await desk.snapshot(id)
            let early = try await desk.dispatch(id, to: [desk.civilID, desk.medicalID], lead: desk.civilID)
            expectProblem(early, .conflict, "dispatch before the decision")
            #expect(try await desk.snapshot(id) == before)

            let none = try await desk.decide(id, relief: false)
            expectOK(none, "no relief")
            #expect(none.caseStatus == "rejected" && none.handling["jointRelief"] as? Bool == false)
            #expect(none.handling["rejectionReason"] as? String == "经联席会议研究，不符合救助条件")
            let notices = try await api.outbox(case: id, kind: "applicant_notice", field: "text")
            #expect(notices.count == 1 && notices.first?.contains("不符合救助条件") == true, "\(notices)")
            expectRefused(try await desk.dispatch(id), allowed: [], "dispatch after no relief")
        }
    }

    @Test("§5.4: the joint office's no-relief decision applies only to a case under joint review: on a submitted case it answers 409 and changes nothing")
    func noReliefOnlyUnderJointReview() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.submitted, 2).id
            let before = try await desk.snapshot(id)
            let reply = try await desk.decide(id, relief: false)
            let after = try await desk.snapshot(id)
            expectRefused(reply, allowed: CaseWorkflow.allowedActions(in: .submitted).map(\.rawValue), "no relief on a submitted case")
            #expect(after == before)
        }
    }

    @Test("回访: reopening needs a dissatisfied follow-up (satisfaction 1–3): reopen with 4 answers 400 and changes nothing")
    func reopenNeedsDissatisfaction() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.closed, 3).id
            let before = try await desk.snapshot(id)
            expectProblem(try await desk.followUp(id, satisfaction: 4, reopen: true), .badRequest, "reopen with 4")
            expectProblem(try await desk.followUp(id, satisfaction: 0), .badRequest, "satisfaction 0")
            #expect(try await desk.snapshot(id) == before)
            let reopened = try await desk.followUp(id, satisfaction: 3, reopen: true)
            expectOK(reopened, "reopen with 3")
            #expect(reopened.caseStatus == "submitted")
            #expect(try await desk.queue(desk.manager).contains(id), "a reopened case is back in the center's queue")
        }
    }

    @Test("回访 → 重新办理: a reopened case can be dispatched again, to another department, and completed there")
    func reopenedCaseDispatchedElsewhere() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.closed, 4).id
            expectOK(try await desk.followUp(id, satisfaction: 1, reopen: true), "reopen")
            let again = try await desk.dispatch(id, to: [desk.medicalID])
            expectOK(again, "dispatch the reopened case to 医保局")
            guard again.status == .ok else { return }
            #expect(again.caseStatus == "dispatched")
            let medical = try await desk.assignment(id, department: desk.medicalID)
            expectOK(try await desk.returnAssignment(medical, by: desk.medical), "医保局 returns")
            #expect(try await desk.detail(id).caseStatus == "submitted", "the only department on the new round returned it")
        }
    }

    @Test("回访 → 重新办理: when the one department a reopened case is dispatched to again returns it, the case goes back to the center, not to completed")
    func reopenedCaseReturnedGoesBackToTheCenter() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.register(7).id
            expectOK(try await desk.dispatch(id, to: [desk.civilID, desk.medicalID], lead: desk.civilID), "dispatch to two")
            try await finish(desk, id, department: desk.civilID, by: desk.civil)
            try await finish(desk, id, department: desk.medicalID, by: desk.medical)
            expectOK(try await desk.close(id), "close")
            expectOK(try await desk.followUp(id, satisfaction: 2, reopen: true), "reopen")
            expectOK(try await desk.dispatch(id, to: [desk.civilID]), "dispatch again to 民政局 alone")
            let returned = try await desk.returnAssignment(try await desk.assignment(id), by: desk.civil)
            expectOK(returned, "民政局 returns")
            #expect(returned.caseStatus == "submitted", "after the return: \(returned.caseStatus ?? "-")")
        }
    }

    /// `department` signs its assignment on case `id` and grants.
    func finish(_ desk: CaseDesk, _ id: String, department: String, by token: String) async throws {
        let assignment = try await desk.assignment(id, department: department)
        expectOK(try await desk.sign(assignment, by: token), "sign")
        expectOK(try await desk.outcome(assignment, by: token), "outcome")
    }

    // MARK: Assignments

    @Test("§5.4–§5.6: in every assignment state the allowed assignment actions succeed; every other one answers 409 with exactly the allowed actions and changes nothing")
    func assignmentActionsInEveryState() async throws {
        for state in AssignmentStatus.allCases {
            #expect(AssignmentWorkflow.allowedActions(in: state) == Self.designedAssignmentActions[state], "\(state)")
        }
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            var n = 300
            for state in AssignmentStatus.allCases {
                try await refusedAssignmentActions(desk, state, n)
                n += 1
                for action in AssignmentWorkflow.allowedActions(in: state) {
                    try await allowedAssignmentAction(desk, state, action, n)
                    n += 1
                }
            }
        }
    }

    /// A fresh case with 民政局's assignment in `state`: its case id and assignment id.
    func assignmentIn(_ desk: CaseDesk, _ state: AssignmentStatus, _ n: Int) async throws -> (caseID: String, assignment: String) {
        let caseState: CaseStatus = switch state {
        case .pending, .returned: .dispatched
        case .accepted: .inProgress
        case .done: .completed
        }
        let id = try await desk.caseIn(caseState, n).id
        let assignment = try await desk.assignment(id)
        if state == .returned { expectOK(try await desk.returnAssignment(assignment, by: desk.civil), "return") }
        #expect(try await desk.detail(id).assignment(assignment)?["status"] as? String == state.rawValue, "driving to \(state)")
        return (id, assignment)
    }

    func refusedAssignmentActions(_ desk: CaseDesk, _ state: AssignmentStatus, _ n: Int) async throws {
        let (id, assignment) = try await assignmentIn(desk, state, n)
        let allowed = AssignmentWorkflow.allowedActions(in: state)
        let before = try await desk.snapshot(id)
        for action in AssignmentAction.allCases where !allowed.contains(action) {
            let reply = try await desk.perform(action, on: assignment, by: desk.civil)
            expectRefused(reply, allowed: allowed.map(\.rawValue), "\(action.rawValue) on a \(state.rawValue) assignment")
            let after = try await desk.snapshot(id)
            #expect(after == before, "\(action.rawValue) on a \(state.rawValue) assignment changed the case: \(before) → \(after)")
        }
    }

    func allowedAssignmentAction(_ desk: CaseDesk, _ state: AssignmentStatus, _ action: AssignmentAction, _ n: Int) async throws {
        let label = "\(action.rawValue) on a \(state.rawValue) assignment"
        let (id, assignment) = try await assignmentIn(desk, state, n)
        let before = try await desk.snapshot(id)
        let next = try #require(AssignmentWorkflow.next(from: state, on: action))
        let caseNext = CaseWorkflow.status(afterAssignmentsOf: CaseStatus(rawValue: before.status ?? "") ?? .submitted, assignments: [next])
        let reply = try await desk.perform(action, on: assignment, by: desk.civil)
        expectOK(reply, label)
        #expect(reply.assignment(assignment)?["status"] as? String == next.rawValue, "\(label)")
        #expect(reply.caseStatus == caseNext.rawValue, "\(label): case \(reply.caseStatus ?? "-") ≠ \(caseNext)")
        #expect(reply.events.count == before.events + 1 && reply.events.last?["action"] as? String == action.rawValue, "\(label)")
        #expect(reply.tasks.count == before.tasks.count + (action == .delegate ? 1 : 0), "\(label): tasks")
        #expect(reply.extensions.count == before.extensions.count + (action == .requestExtension ? 1 : 0), "\(label): extensions")
    }

    @Test("§5.3: once the case is withdrawn, its pending assignment can no longer be signed (409) and the applicant is not told to come")
    func withdrawnCaseCannotBeSigned() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.dispatched, 5).id
            let assignment = try await desk.assignment(id)
            expectOK(try await desk.withdraw(id), "withdraw")
            let before = try await desk.snapshot(id)
            let reply = try await desk.sign(assignment, by: desk.civil)
            let after = try await desk.snapshot(id)
            expectProblem(reply, .conflict, "sign on a withdrawn case")
            #expect(after == before)
        }
    }

    // MARK: Tasks

    @Test("§5.5: an open field task is reported once; reporting it again answers 409 naming no allowed action and changes nothing")
    func taskReportedOnce() async throws {
        #expect(TaskWorkflow.allowedActions(in: .open) == [.report] && TaskWorkflow.allowedActions(in: .reported).isEmpty)
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let id = try await desk.caseIn(.inProgress, 6).id
            let delegated = try await desk.delegate(try await desk.assignment(id), by: desk.civil)
            expectOK(delegated, "delegate")
            let task = try #require(delegated.tasks.first?["id"] as? String)
            #expect(delegated.tasks.first?["status"] as? String == TaskStatus.open.rawValue)

            let reported = try await desk.report(task, by: desk.villageA, text: "第一次反馈：情况属实。")
            expectOK(reported, "report an open task")
            let row = reported.tasks.first { $0["id"] as? String == task } ?? [:]
            #expect(row["status"] as? String == TaskStatus.reported.rawValue && row["report"] as? String == "第一次反馈：情况属实。")
            #expect(reported.events.last?["action"] as? String == "task_reported")
            #expect(reported.events.last?["visibleToApplicant"] as? Bool == false)

            let before = try await desk.snapshot(id)
            let again = try await desk.report(task, by: desk.villageA, text: "第二次反馈")
            expectRefused(again, allowed: TaskWorkflow.allowedActions(in: .reported).map(\.rawValue), "report a reported task")
            #expect(try await desk.snapshot(id) == before)
            #expect(try await desk.detail(id).tasks.first?["report"] as? String == "第一次反馈：情况属实。")
        }
    }
}
