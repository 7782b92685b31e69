import Foundation
import ReliefDomain
import ReliefStore

/// Service levels: the county's policies, a case's deadlines, the escalation list (督办) and
/// the notices staff receive.
extension APIHandler {
    private var records: ServiceLevelRecords { ServiceLevelRecords(store: store) }

    func listSLAPolicies(_ input: Operations.ListSLAPolicies.Input) async throws -> Operations.ListSLAPolicies.Output {
        let policies = try await records.policies(try signedIn())
        return .ok(.init(body: .json(.init(policies: policies.map(Self.schema)))))
    }

    func setSLAPolicy(_ input: Operations.SetSLAPolicy.Input) async throws -> Operations.SetSLAPolicy.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        guard let stage = SLAStage(rawValue: input.path.stage.rawValue) else { throw Problem.invalid("未知的办理环节") }
        let policy = SLAPolicy(stage: stage, limitWorkingDays: body.limitWorkingDays, greenLimitWorkingDays: body.greenLimitWorkingDays,
                               greenHandlingPercent: body.greenHandlingPercent ?? 50, warnAtFraction: body.warnAtFraction,
                               escalateAfterWorkingDays: body.escalateAfterWorkingDays, pausesForApplicant: body.pausesForApplicant)
        return .ok(.init(body: .json(Self.schema(try await records.setPolicy(context, policy)))))
    }

    func listCaseDeadlines(_ input: Operations.ListCaseDeadlines.Input) async throws -> Operations.ListCaseDeadlines.Output {
        let caseID = try pathID(input.path.caseId)
        let deadlines = try await records.deadlines(try signedIn(), caseID: caseID)
        return .ok(.init(body: .json(.init(deadlines: deadlines.map(Self.schema)))))
    }

    func listEscalations(_ input: Operations.ListEscalations.Input) async throws -> Operations.ListEscalations.Output {
        let escalations = try await records.escalations(try signedIn(), openOnly: input.query.open ?? true)
        return .ok(.init(body: .json(.init(escalations: escalations.map { escalation in
            .init(id: escalation.id.uuidString.lowercased(), caseId: escalation.caseID.uuidString.lowercased(),
                  caseNumber: escalation.caseNumber, stage: Self.schema(escalation.stage), stageTitle: escalation.stage.title,
                  departmentId: escalation.departmentID?.uuidString.lowercased(), departmentName: escalation.departmentName,
                  dueAt: escalation.dueAt, createdAt: escalation.createdAt, resolvedAt: escalation.resolvedAt)
        }))))
    }

    func listStaffNotices(_ input: Operations.ListStaffNotices.Input) async throws -> Operations.ListStaffNotices.Output {
        let notices = try await records.staffNotices(try signedIn())
        return .ok(.init(body: .json(.init(notices: notices.map { notice in
            .init(id: notice.id, caseId: notice.caseID.uuidString.lowercased(), caseNumber: notice.caseNumber,
                  step: .init(rawValue: notice.step.rawValue)!, text: notice.text, createdAt: notice.createdAt, readAt: notice.readAt)
        }))))
    }

    func markStaffNoticeRead(_ input: Operations.MarkStaffNoticeRead.Input) async throws -> Operations.MarkStaffNoticeRead.Output {
        try await records.markRead(try signedIn(), noticeID: input.path.noticeId)
        return .noContent(.init())
    }

    static func schema(_ stage: SLAStage) -> Components.Schemas.SLAStage {
        .init(rawValue: stage.rawValue)!
    }

    static func schema(_ record: ServiceLevelRecords.Policy) -> Components.Schemas.SLAPolicy {
        let policy = record.policy
        return .init(stage: schema(policy.stage), title: policy.stage.title, limitWorkingDays: policy.limitWorkingDays,
                     greenLimitWorkingDays: policy.greenLimitWorkingDays, greenHandlingPercent: policy.greenHandlingPercent,
                     warnAtFraction: policy.warnAtFraction, escalateAfterWorkingDays: policy.escalateAfterWorkingDays,
                     pausesForApplicant: policy.pausesForApplicant, custom: record.custom)
    }

    static func schema(_ deadline: ServiceLevelRecords.Deadline) -> Components.Schemas.Deadline {
        .init(id: deadline.id.uuidString.lowercased(), stage: schema(deadline.stage), stageTitle: deadline.stage.title,
              assignmentId: deadline.assignmentID?.uuidString.lowercased(), departmentId: deadline.departmentID?.uuidString.lowercased(),
              green: deadline.green, startedAt: deadline.startedAt, warnAt: deadline.schedule.warnAt, dueAt: deadline.schedule.dueAt,
              escalateAt: deadline.schedule.escalateAt, extensionWorkingDays: deadline.extensionWorkingDays,
              warnedAt: deadline.warnedAt, dueNotifiedAt: deadline.dueNotifiedAt, escalatedAt: deadline.escalatedAt,
              endedAt: deadline.endedAt, endReason: deadline.endReason.flatMap { .init(rawValue: $0) },
              state: .init(rawValue: deadline.state)!)
    }
}
