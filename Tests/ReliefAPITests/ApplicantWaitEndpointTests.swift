import Foundation
import HTTPTypes
import ReliefDomain
import Testing

/// 补正 — waiting for the applicant (issue 6, item 4): the center before accepting, or the
/// department while handling, asks for what is missing; the applicant is told and sees it in
/// the progress query; the case stays in its state; the SLA clock stops (ServiceLevels, tested
/// with the job runner).
@Suite("Waiting for the applicant over HTTP")
struct ApplicantWaitEndpointTests {
    static let missing = "请补充提供近六个月的收入证明。"

    @Test("the center asks a submitted case's applicant for materials: the event and the notice are recorded, the case stays submitted; asking twice answers 409; the return is recorded once")
    func atAcceptance() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.caseIn(.submitted, 1)
            let asked = try await desk.post("/cases/\(receipt.id)/await-applicant", desk.agent, ["reason": Self.missing])
            #expect(asked.status == .ok, "\(asked.text)")
            #expect(asked.caseStatus == "submitted")
            #expect(asked.events.last?["action"] as? String == "await_applicant")
            #expect(try await api.outbox(case: receipt.id, kind: "applicant_notice", field: "text").last?.contains(Self.missing) == true)
            expectProblem(try await desk.post("/cases/\(receipt.id)/await-applicant", desk.agent, ["reason": Self.missing]), .conflict, "twice")
            let back = try await desk.post("/cases/\(receipt.id)/applicant-returned", desk.agent, [:])
            #expect(back.status == .ok, "\(back.text)")
            #expect(back.events.last?["action"] as? String == "applicant_returned")
            expectProblem(try await desk.post("/cases/\(receipt.id)/applicant-returned", desk.agent, [:]), .conflict, "not waiting")
            let progress = try await desk.progress(receipt)
            let actions = progress.events.compactMap { $0["action"] as? String }
            #expect(actions.contains("await_applicant") && actions.contains("applicant_returned"), "\(progress.text)")
            // The applicant reads there what to supply, as the notice said.
            let asking = progress.events.first { $0["action"] as? String == "await_applicant" }
            #expect(asking?["note"] as? String == Self.missing, "\(progress.text)")
        }
    }

    @Test("only the center asks at acceptance, only while submitted; an empty reason answers 400; nothing changes")
    func acceptanceRefusals() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let submitted = try await desk.caseIn(.submitted, 1)
            let before = try await desk.snapshot(submitted.id)
            expectProblem(try await desk.post("/cases/\(submitted.id)/await-applicant", desk.civil, ["reason": Self.missing]), .forbidden, "department")
            expectProblem(try await desk.post("/cases/\(submitted.id)/await-applicant", desk.agent, ["reason": " "]), .badRequest, "blank")
            #expect(try await desk.snapshot(submitted.id) == before)
            let dispatched = try await desk.caseIn(.dispatched, 2)
            expectProblem(try await desk.post("/cases/\(dispatched.id)/await-applicant", desk.agent, ["reason": Self.missing]), .conflict, "dispatched")
        }
    }

    @Test("the department handling an assignment asks and records the return; another department's assignment answers 404; a pending one 409")
    func whileHandling() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let handling = try await desk.caseIn(.inProgress, 1)
            let assignment = try await desk.assignment(handling.id)
            expectProblem(try await desk.post("/assignments/\(assignment)/await-applicant", desk.medical, ["reason": Self.missing]), .notFound, "other department")
            let asked = try await desk.post("/assignments/\(assignment)/await-applicant", desk.civil, ["reason": Self.missing])
            #expect(asked.status == .ok, "\(asked.text)")
            #expect(asked.caseStatus == "in_progress")
            let back = try await desk.post("/assignments/\(assignment)/applicant-returned", desk.civil, [:])
            #expect(back.status == .ok && back.events.last?["action"] as? String == "applicant_returned", "\(back.text)")
            let pending = try await desk.caseIn(.dispatched, 2)
            let pendingAssignment = try await desk.assignment(pending.id)
            expectProblem(try await desk.post("/assignments/\(pendingAssignment)/await-applicant", desk.civil, ["reason": Self.missing]), .conflict, "pending")
        }
    }
}
