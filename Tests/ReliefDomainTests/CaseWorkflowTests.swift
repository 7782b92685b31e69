import ReliefDomain
import Testing

/// The state machines of DB32/T 4012-2021 figure 1, every state against every action.
@Suite("Case, assignment and task state machines")
struct CaseWorkflowTests {
    /// The whole table of the case (DESIGN.md, "The case"): from-state → action → to-state.
    static let caseTransitions: [CaseStatus: [CaseAction: CaseStatus]] = [
        .submitted: [.reject: .rejected, .dispatch: .dispatched, .refer: .jointReview, .withdraw: .withdrawn],
        .jointReview: [.reject: .rejected, .dispatch: .dispatched, .decide: .jointReview, .withdraw: .withdrawn],
        .dispatched: [.withdraw: .withdrawn],
        .inProgress: [.withdraw: .withdrawn],
        .completed: [.close: .closed],
        .closed: [.followUp: .closed, .reopen: .submitted],
        .rejected: [:],
        .withdrawn: [:],
    ]

    @Test("every case state allows exactly its actions (§5.2–§5.6), and lists them", arguments: CaseStatus.allCases)
    func caseTable(status: CaseStatus) {
        let expected = Self.caseTransitions[status] ?? [:]
        for action in CaseAction.allCases {
            #expect(CaseWorkflow.next(from: status, on: action) == expected[action], "\(status) × \(action)")
        }
        #expect(Set(CaseWorkflow.allowedActions(in: status)) == Set(expected.keys))
    }

    @Test("the table covers every state")
    func everyStateListed() {
        #expect(Set(Self.caseTransitions.keys) == Set(CaseStatus.allCases))
    }

    @Test("an assignment is signed or returned when pending, worked and finished when accepted, and final after",
          arguments: AssignmentStatus.allCases)
    func assignmentTable(status: AssignmentStatus) {
        let expected: [AssignmentAction: AssignmentStatus] = switch status {
        case .pending: [.signFor: .accepted, .return: .returned]
        case .accepted: [.delegate: .accepted, .requestExtension: .accepted, .recordOutcome: .done]
        case .returned, .done: [:]
        }
        for action in AssignmentAction.allCases {
            #expect(AssignmentWorkflow.next(from: status, on: action) == expected[action], "\(status) × \(action)")
        }
        #expect(Set(AssignmentWorkflow.allowedActions(in: status)) == Set(expected.keys))
    }

    @Test("a task is reported once (§5.5)")
    func taskTable() {
        #expect(TaskWorkflow.next(from: .open, on: .report) == .reported)
        #expect(TaskWorkflow.next(from: .reported, on: .report) == nil)
        #expect(TaskWorkflow.allowedActions(in: .reported).isEmpty)
    }

    @Test("the case follows its assignments: first sign starts, all done completes, all returned goes back to the center")
    func caseFollowsAssignments() {
        func after(_ status: CaseStatus, _ assignments: [AssignmentStatus]) -> CaseStatus {
            CaseWorkflow.status(afterAssignmentsOf: status, assignments: assignments)
        }
        #expect(after(.dispatched, [.pending, .pending]) == .dispatched)
        #expect(after(.dispatched, [.accepted, .pending]) == .inProgress)
        #expect(after(.inProgress, [.done, .accepted]) == .inProgress)
        #expect(after(.inProgress, [.done, .done]) == .completed)
        // A returned department does not hold the case up; the others finish it.
        #expect(after(.inProgress, [.done, .returned]) == .completed)
        #expect(after(.dispatched, [.returned, .pending]) == .dispatched)
        #expect(after(.dispatched, [.returned]) == .submitted)
        #expect(after(.dispatched, [.returned, .returned]) == .submitted)
        // States the departments do not drive are left alone.
        for status in [CaseStatus.submitted, .jointReview, .completed, .closed, .rejected, .withdrawn] {
            #expect(after(status, [.done]) == status)
        }
        #expect(after(.dispatched, []) == .dispatched)
    }

    @Test("open states are exactly those someone still works on")
    func openStates() {
        #expect(Set(CaseStatus.allCases.filter(\.isOpen)) == [.submitted, .dispatched, .jointReview, .inProgress])
    }
}
