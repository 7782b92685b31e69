import Foundation
import ReliefDomain
import ReliefStore

/// What citizens do without an account (§5.1.2, §6.2.1, §6.3.6): read the catalog, apply
/// online, file feedback and read its answer. Every operation is rate-limited per client.
extension APIHandler {
    func getPublicCounty(_ input: Operations.GetPublicCounty.Input) async throws -> Operations.GetPublicCounty.Output {
        try limitPublicRequests()
        let county = try await publicCounty(code: input.path.countyCode)
        let items = try await Catalog(store: store).publicItems(countyID: county.id)
        let places = try await Directory(store: store).places(countyID: county.id)
        return .ok(.init(body: .json(.init(
            divisionCode: input.path.countyCode, name: county.name,
            items: items.map { item in
                .init(code: item.code, kind: .init(rawValue: item.kind.rawValue) ?? .temporary, name: item.content.name,
                      departmentName: item.departmentName, targetGroup: item.content.targetGroup,
                      reliefContent: item.content.reliefContent, timeLimitDays: item.content.timeLimitDays,
                      materials: item.content.materials.map(Self.schema))
            },
            places: places.map { place in
                .init(divisionCode: place.divisionCode, name: place.name,
                      tier: place.tier == .township ? .township : .village, parentDivisionCode: place.parentDivisionCode)
            }))))
    }

    func applyOnline(_ input: Operations.ApplyOnline.Input) async throws -> Operations.ApplyOnline.Output {
        try limitPublicRequests()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let county = try await publicCounty(code: body.county)
        let application = Intake.Application(
            applicant: try Self.applicant(body.applicant), item: .code(body.itemCode), place: .divisionCode(body.placeCode),
            description: body.description, greenChannelReason: body.greenChannelReason)
        let receipt = try await intake.applyOnline(countyID: county.id, application: application)
        return .created(.init(body: .json(.init(caseNumber: receipt.caseNumber, queryCode: receipt.queryCode ?? "",
                                                itemName: receipt.itemName, submittedAt: receipt.submittedAt))))
    }

    func submitFeedback(_ input: Operations.SubmitFeedback.Input) async throws -> Operations.SubmitFeedback.Output {
        try limitPublicRequests()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let county = try await publicCounty(code: body.county)
        let receipt = try await feedback.submit(countyID: county.id, .init(
            kind: Feedback.Kind(rawValue: body.kind.rawValue) ?? .complaint, caseNumber: body.caseNumber, subject: body.subject,
            content: body.content, contactName: body.contactName, contactPhone: body.contactPhone))
        return .created(.init(body: .json(.init(feedbackNumber: receipt.feedbackNumber, queryCode: receipt.queryCode,
                                                dueAt: receipt.dueAt))))
    }

    func lookUpFeedback(_ input: Operations.LookUpFeedback.Input) async throws -> Operations.LookUpFeedback.Output {
        try limitPublicRequests()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let county = try await publicCounty(code: body.county)
        let entry = try await feedback.lookUp(countyID: county.id, feedbackNumber: body.feedbackNumber, queryCode: body.queryCode)
        return .ok(.init(body: .json(.init(
            feedbackNumber: entry.feedbackNumber, kind: .init(rawValue: entry.kind.rawValue) ?? .complaint, subject: entry.subject,
            status: .init(rawValue: entry.status.rawValue) ?? .open, dueAt: entry.dueAt, answer: entry.answer,
            answeredAt: entry.answeredAt, createdAt: entry.createdAt))))
    }

    // MARK: Staff side of feedback

    var feedback: Feedback { Feedback(store: store, cipher: cipher) }

    func listFeedback(_ input: Operations.ListFeedback.Input) async throws -> Operations.ListFeedback.Output {
        let entries = try await feedback.list(try signedIn(), status: input.query.status.flatMap { Feedback.Status(rawValue: $0.rawValue) })
        return .ok(.init(body: .json(entries.map(Self.schema))))
    }

    func answerFeedback(_ input: Operations.AnswerFeedback.Input) async throws -> Operations.AnswerFeedback.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let entry = try await feedback.answer(context, id: try pathID(input.path.feedbackId), answer: body.answer)
        return .ok(.init(body: .json(Self.schema(entry))))
    }

    func closeFeedback(_ input: Operations.CloseFeedback.Input) async throws -> Operations.CloseFeedback.Output {
        .ok(.init(body: .json(Self.schema(try await feedback.close(try signedIn(), id: try pathID(input.path.feedbackId))))))
    }

    static func schema(_ entry: Feedback.Entry) -> Components.Schemas.FeedbackEntry {
        .init(id: entry.id.lowercased, feedbackNumber: entry.feedbackNumber, kind: .init(rawValue: entry.kind.rawValue) ?? .complaint,
              caseNumber: entry.caseNumber, subject: entry.subject, content: entry.content, contactName: entry.contactName,
              contactPhone: entry.contactPhone, status: .init(rawValue: entry.status.rawValue) ?? .open, dueAt: entry.dueAt,
              answer: entry.answer, answeredAt: entry.answeredAt, createdAt: entry.createdAt)
    }

    // MARK: Helpers

    /// 429 once this client has used its share.
    func limitPublicRequests() throws {
        if let retryAfter = publicLimiter.refusal(for: RequestIdentity.current.clientAddress ?? "unknown") {
            throw Problem.tooManyRequests(retryAfter: retryAfter)
        }
    }

    /// A county by its division code; 404 for one that is not served here.
    func publicCounty(code: String) async throws -> (id: UUID, name: String) {
        guard DivisionCode.isWellFormed(code),
              let county = try await store.county(code: code) else { throw Problem.notFound }
        return county
    }
}
