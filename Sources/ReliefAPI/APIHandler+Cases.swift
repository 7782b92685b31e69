import Foundation
import ReliefDomain
import ReliefStore

/// Window registration (§5.1.1) and reading cases with their timeline (§6.1.2.2).
extension APIHandler {
    var cases: Cases { Cases(store: store, cipher: cipher) }

    func registerCase(_ input: Operations.RegisterCase.Input) async throws -> Operations.RegisterCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let application = Intake.Application(
            applicant: try Self.applicant(body.applicant), item: .id(try requiredID(body.itemId, field: "itemId")),
            place: .org(try requiredID(body.orgId, field: "orgId")), description: body.description,
            greenChannelReason: body.greenChannelReason)
        let receipt = try await intake.register(context, windowID: try requiredID(body.windowId, field: "windowId"),
                                                application: application)
        return .created(.init(body: .json(.init(
            caseId: receipt.caseID.lowercased, caseNumber: receipt.caseNumber, queryCode: receipt.queryCode ?? "",
            itemName: receipt.itemName, submittedAt: receipt.submittedAt, possibleDuplicateOf: receipt.possibleDuplicateOf?.lowercased))))
    }

    func listCases(_ input: Operations.ListCases.Input) async throws -> Operations.ListCases.Output {
        let context = try signedIn()
        let status = try input.query.status.map { status in
            guard let status = CaseStatus(rawValue: status.rawValue) else { throw Problem.invalid("未知的状态") }
            return status
        }
        let page = try await cases.list(context, status: status, limit: input.query.limit ?? 50, before: input.query.before,
                                        after: try optionalID(input.query.beforeCase, field: "beforeCase"))
        return .ok(.init(body: .json(page.map(Self.schema))))
    }

    func getCase(_ input: Operations.GetCase.Input) async throws -> Operations.GetCase.Output {
        let detail = try await cases.detail(try signedIn(), id: try pathID(input.path.caseId), reveal: input.query.reveal ?? false)
        return .ok(.init(body: .json(Self.schema(detail))))
    }

    /// The case as it stands after an action, read as the user who acted.
    func caseDetail(_ context: TenantContext, _ caseID: UUID) async throws -> Components.Schemas.CaseDetail {
        Self.schema(try await cases.detail(context, id: caseID))
    }

    // MARK: Schemas

    /// An applicant as typed; a refused field answers 400 naming why.
    static func applicant(_ input: Components.Schemas.ApplicantInput) throws -> Applicant {
        do {
            return try Applicant(name: input.name, idNumber: input.idNumber, phone: input.phone, address: input.address,
                                 today: Self.todayInShanghai())
        } catch {
            throw Problem.invalid(error.description)
        }
    }

    static func todayInShanghai() -> (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return (parts.year!, parts.month!, parts.day!)
    }

    static func schema(_ detail: Cases.Detail) -> Components.Schemas.CaseDetail {
        let handling = detail.handling
        return .init(
            _case: schema(detail.summary), itemVersion: detail.itemVersion, windowId: detail.windowID?.lowercased,
            description: detail.description, greenChannelReason: detail.greenChannelReason,
            hotlineOrderNumber: detail.hotlineOrderNumber,
            applicant: detail.applicant.map {
                .init(name: $0.name, idNumber: $0.idNumber, phone: $0.phone, address: $0.address, masked: $0.masked)
            },
            handling: .init(
                dueAt: handling.dueAt, rejectionReason: handling.rejectionReason,
                referralReason: handling.referralReason.flatMap { .init(rawValue: $0.rawValue) }, jointRelief: handling.jointRelief,
                jointPlan: handling.jointPlan, returnCount: handling.returnCount, summary: handling.summary,
                allowedActions: CaseWorkflow.allowedActions(in: detail.summary.status).map(\.rawValue),
                assignments: handling.assignments.map { assignment in
                    .init(id: assignment.id.lowercased, departmentId: assignment.departmentID.lowercased,
                          departmentName: assignment.departmentName, status: .init(rawValue: assignment.status.rawValue) ?? .pending,
                          lead: assignment.lead, forJointOffice: assignment.forJointOffice, dueAt: assignment.dueAt,
                          applicantNotice: assignment.applicantNotice, returnReason: assignment.returnReason,
                          outcome: assignment.outcome.flatMap { .init(rawValue: $0.rawValue) },
                          outcomeContent: assignment.outcomeContent,
                          outcomeAmount: assignment.outcomeAmount.map { NSDecimalNumber(decimal: $0).doubleValue })
                },
                tasks: handling.tasks.map { task in
                    .init(id: task.id.lowercased, assignmentId: task.assignmentID.lowercased, orgId: task.orgID.lowercased,
                          orgName: task.orgName, kind: task.kind, instructions: task.instructions,
                          status: .init(rawValue: task.status.rawValue) ?? .open, report: task.report, dueAt: task.dueAt)
                },
                extensions: handling.extensions.map { extensionRequest in
                    .init(id: extensionRequest.id.lowercased, assignmentId: extensionRequest.assignmentID.lowercased,
                          days: extensionRequest.days, reason: extensionRequest.reason,
                          status: .init(rawValue: extensionRequest.status) ?? .requested, decisionNote: extensionRequest.decisionNote)
                }),
            events: detail.events.map(schema))
    }

    static func schema(_ summary: Cases.Summary) -> Components.Schemas.CaseSummary {
        .init(id: summary.id.lowercased, caseNumber: summary.caseNumber, status: .init(rawValue: summary.status.rawValue) ?? .submitted,
              channel: summary.channel.flatMap { .init(rawValue: $0.rawValue) }, itemId: summary.itemID?.lowercased,
              itemName: summary.itemName, title: summary.title, orgId: summary.orgID.lowercased, orgName: summary.orgName,
              applicantName: summary.applicantName, greenChannel: summary.greenChannel,
              possibleDuplicateOf: summary.possibleDuplicateOf?.lowercased, returnCount: summary.returnCount,
              createdAt: summary.createdAt)
    }

    static func schema(_ event: CaseTimeline.Event) -> Components.Schemas.CaseEvent {
        .init(id: event.id, at: event.at, actorName: event.actorName, actorOrgName: event.actorOrgName, action: event.action,
              fromStatus: event.fromStatus.flatMap { .init(rawValue: $0.rawValue) },
              toStatus: event.toStatus.flatMap { .init(rawValue: $0.rawValue) }, reason: event.reason,
              visibleToApplicant: event.visibleToApplicant, detail: .init(additionalProperties: event.detail))
    }
}
