import Foundation
import Postgres
import ReliefDomain
import ReliefStore

/// The linkage workflow (§5.2–§5.6). Every action answers the case as it stands afterwards.
extension APIHandler {
    var workflow: Workflow { Workflow(store: store) }

    func listQueue(_ input: Operations.ListQueue.Input) async throws -> Operations.ListQueue.Output {
        .ok(.init(body: .json(try await cases.queue(try signedIn(), limit: input.query.limit ?? 100).map(Self.schema))))
    }

    // MARK: The center and the joint office

    func rejectCase(_ input: Operations.RejectCase.Input) async throws -> Operations.RejectCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.reject(context, caseID: caseID, reason: body.reason)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func dispatchCase(_ input: Operations.DispatchCase.Input) async throws -> Operations.DispatchCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.dispatch(context, caseID: caseID, departmentIDs: try body.departmentIds.map { try requiredID($0, field: "departmentIds") },
                                    leadDepartmentID: try optionalID(body.leadDepartmentId, field: "leadDepartmentId"), note: body.note)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func referCase(_ input: Operations.ReferCase.Input) async throws -> Operations.ReferCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        guard let reason = ReferralReason(rawValue: body.reason.rawValue) else { throw Problem.invalid("未知的提交理由") }
        try await workflow.refer(context, caseID: caseID, reason: reason, note: body.note)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func decideCase(_ input: Operations.DecideCase.Input) async throws -> Operations.DecideCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.decide(context, caseID: caseID, relief: body.relief, plan: body.plan, reason: body.reason,
                                  departmentIDs: try (body.departmentIds ?? []).map { try requiredID($0, field: "departmentIds") },
                                  leadDepartmentID: try optionalID(body.leadDepartmentId, field: "leadDepartmentId"))
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func closeCase(_ input: Operations.CloseCase.Input) async throws -> Operations.CloseCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.close(context, caseID: caseID, summary: body.summary)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func followUpCase(_ input: Operations.FollowUpCase.Input) async throws -> Operations.FollowUpCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.followUp(context, caseID: caseID, satisfaction: body.satisfaction, comments: body.comments,
                                    reopen: body.reopen ?? false)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func withdrawCase(_ input: Operations.WithdrawCase.Input) async throws -> Operations.WithdrawCase.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try pathID(input.path.caseId)
        try await workflow.withdraw(context, caseID: caseID, reason: body.reason)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    // MARK: Departments, townships and villages

    func signForAssignment(_ input: Operations.SignForAssignment.Input) async throws -> Operations.SignForAssignment.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.signFor(context, assignmentID: try pathID(input.path.assignmentId), applicantNotice: body.applicantNotice)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func returnAssignment(_ input: Operations.ReturnAssignment.Input) async throws -> Operations.ReturnAssignment.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.returnAssignment(context, assignmentID: try pathID(input.path.assignmentId), reason: body.reason)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func delegateTask(_ input: Operations.DelegateTask.Input) async throws -> Operations.DelegateTask.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.delegate(context, assignmentID: try pathID(input.path.assignmentId),
                                                 orgID: try requiredID(body.orgId, field: "orgId"), kind: body.kind,
                                                 instructions: body.instructions, dueInDays: body.dueInDays)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func reportTask(_ input: Operations.ReportTask.Input) async throws -> Operations.ReportTask.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.report(context, taskID: try pathID(input.path.taskId), report: body.report)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func recordOutcome(_ input: Operations.RecordOutcome.Input) async throws -> Operations.RecordOutcome.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        guard let outcome = Outcome(rawValue: body.outcome.rawValue) else { throw Problem.invalid("未知的办理结果") }
        let amount = try body.amount.map { amount in
            // The number as written (its shortest decimal form), not the binary double's
            // expansion: the workflow refuses an amount finer than a fen, it never rounds one.
            guard amount.isFinite, let decimal = Decimal(string: String(amount)) else { throw Problem.invalid("救助金额无效") }
            return decimal
        }
        let caseID = try await workflow.recordOutcome(context, assignmentID: try pathID(input.path.assignmentId), outcome: outcome,
                                                      content: body.content, amount: amount)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func requestExtension(_ input: Operations.RequestExtension.Input) async throws -> Operations.RequestExtension.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.requestExtension(context, assignmentID: try pathID(input.path.assignmentId), days: body.days,
                                                         reason: body.reason)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    func decideExtension(_ input: Operations.DecideExtension.Input) async throws -> Operations.DecideExtension.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let caseID = try await workflow.decideExtension(context, extensionID: try pathID(input.path.extensionId), approve: body.approve,
                                                        note: body.note)
        return .ok(.init(body: .json(try await caseDetail(context, caseID))))
    }

    // MARK: Notices and the applicant's progress query

    func publishNotice(_ input: Operations.PublishNotice.Input) async throws -> Operations.PublishNotice.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        guard let start = CalendarDate(body.periodStart), let end = CalendarDate(body.periodEnd) else {
            throw Problem.invalid("公示期间应为 YYYY-MM-DD 日期")
        }
        let notice = try await PublicNotices(store: store).publish(context, title: body.title, periodStart: start, periodEnd: end, days: body.days)
        return .created(.init(body: .json(Self.schema(notice))))
    }

    func listPublicNotices(_ input: Operations.ListPublicNotices.Input) async throws -> Operations.ListPublicNotices.Output {
        try limitPublicRequests()
        let county = try await publicCounty(code: input.path.countyCode)
        return .ok(.init(body: .json(try await PublicNotices(store: store).current(countyID: county.id).map(Self.schema))))
    }

    func queryProgress(_ input: Operations.QueryProgress.Input) async throws -> Operations.QueryProgress.Output {
        try limitPublicRequests()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let county = try await publicCounty(code: body.county)
        let view = try await Progress(store: store).lookUp(countyID: county.id, caseNumber: body.caseNumber, queryCode: body.queryCode)
        return .ok(.init(body: .json(.init(
            caseNumber: view.caseNumber, itemName: view.itemName, applicantName: view.applicantName,
            status: .init(rawValue: view.status.rawValue) ?? .submitted, statusTitle: view.status.title,
            responsible: view.responsible, dueAt: view.dueAt,
            events: view.events.map { .init(at: $0.at, action: $0.action, status: $0.status.flatMap { .init(rawValue: $0.rawValue) }, note: $0.note) }))))
    }

    static func schema(_ notice: PublicNotices.Notice) -> Components.Schemas.PublicNotice {
        .init(id: notice.id.lowercased, title: notice.title, periodStart: notice.periodStart.description,
              periodEnd: notice.periodEnd.description, shownUntil: notice.shownUntil, publishedAt: notice.publishedAt,
              entries: notice.entries.map {
                  .init(itemName: $0.itemName, villageName: $0.villageName, applicantName: $0.applicantName,
                        amount: $0.amount.map { NSDecimalNumber(decimal: $0).doubleValue }, outcome: $0.outcome)
              })
    }
}
