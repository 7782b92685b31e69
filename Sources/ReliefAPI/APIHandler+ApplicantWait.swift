import Foundation
import ReliefStore

/// Waiting for the applicant (补正), at acceptance and while handling.
extension APIHandler {
    func awaitApplicantForCase(_ input: Operations.AwaitApplicantForCase.Input) async throws -> Operations.AwaitApplicantForCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.awaitApplicant(context, caseID: caseID, reason: body.reason)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func applicantReturnedForCase(_ input: Operations.ApplicantReturnedForCase.Input) async throws -> Operations.ApplicantReturnedForCase.Output {
        let context = try signedIn()
        let caseID = try pathID(input.path.caseId)
        try await workflow.applicantReturned(context, caseID: caseID)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func awaitApplicantForAssignment(_ input: Operations.AwaitApplicantForAssignment.Input) async throws -> Operations.AwaitApplicantForAssignment.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.awaitApplicant(context, assignmentID: try pathID(input.path.assignmentId), reason: body.reason)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func applicantReturnedForAssignment(_ input: Operations.ApplicantReturnedForAssignment.Input) async throws -> Operations.ApplicantReturnedForAssignment.Output {
        let context = try signedIn()
        let caseID = try await workflow.applicantReturned(context, assignmentID: try pathID(input.path.assignmentId))
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }
}
