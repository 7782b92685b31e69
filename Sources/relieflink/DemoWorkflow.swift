import Foundation
import Postgres
import ReliefDomain
import ReliefStore

/// Moves the demo county's applications through the workflow, so every role signing in finds
/// cases in every state: the center's queue, the joint office's referrals, departments'
/// assignments to sign and to finish, villages' field work, completed cases to close, closed
/// ones with follow-ups, rejections, withdrawals and a public notice.
extension DemoCounty {
    struct Actors {
        let manager: TenantContext
        let agent: TenantContext
        let joint: TenantContext
        let department: TenantContext
        let village: TenantContext
    }

    func advance(_ actors: Actors) async throws {
        let workflow = Workflow(store: store)
        let cases = Cases(store: store, cipher: cipher)
        let waiting = try await cases.queue(actors.agent, limit: 500)
        let departments = try await Directory(store: store).departments(actors.manager)
        guard let civilAffairs = departments.first(where: { $0.name == "民政局" })?.id,
              let medical = departments.first(where: { $0.name == "医保局" })?.id else { return }
        let villageCases = Set(try await cases.list(actors.village, limit: 200).map(\.id))
        var counts: [String: Int] = [:]
        for (index, summary) in waiting.enumerated() {
            let stage = index % 12
            do {
                switch stage {
                case 0, 1:
                    continue  // left in the center's queue
                case 2:
                    try await workflow.reject(actors.agent, caseID: summary.id, reason: "经核查，家庭人均收入高于当地最低生活保障标准，不符合救助条件。")
                case 3:
                    try await workflow.refer(actors.agent, caseID: summary.id, reason: .severalDepartments, note: "涉及民政、医保两个部门。")
                case 4:
                    try await workflow.refer(actors.agent, caseID: summary.id, reason: .severalDepartments, note: "涉及民政、医保两个部门。")
                    try await workflow.decide(actors.joint, caseID: summary.id, relief: true, plan: "民政局牵头给予临时救助，医保局落实医疗救助。",
                                              reason: nil, departmentIDs: [civilAffairs, medical], leadDepartmentID: civilAffairs)
                case 5:
                    try await workflow.withdraw(actors.agent, caseID: summary.id, reason: "申请人来电撤回申请。")
                default:
                    try await workflow.dispatch(actors.agent, caseID: summary.id, departmentIDs: [civilAffairs],
                                                leadDepartmentID: civilAffairs, note: nil)
                    guard stage >= 7 else { break }  // stage 6: waiting for the department to sign
                    let assignment = try await assignmentID(of: summary.id, cases, actors.agent)
                    try await workflow.signFor(actors.department, assignmentID: assignment,
                                               applicantNotice: "请携带户口簿、身份证原件于工作日到县社会救助中心民政窗口办理。")
                    if stage == 7, villageCases.contains(summary.id) {
                        try await workflow.delegate(actors.department, assignmentID: assignment, orgID: summary.orgID, kind: "入户调查",
                                                    instructions: "核实家庭成员、收入和居住情况。", dueInDays: 5)
                    }
                    guard stage >= 8 else { break }  // stage 7: being handled (perhaps with field work)
                    try await workflow.recordOutcome(actors.department, assignmentID: assignment, outcome: stage == 8 ? .partly : .granted,
                                                     content: "经审核，给予临时救助。", amount: Decimal(500 * (stage - 6)))
                    guard stage >= 10 else { break }  // stages 8, 9: completed, waiting to be closed
                    try await workflow.close(actors.manager, caseID: summary.id, summary: "已按规定给予救助，资金已发放到户。")
                    if stage == 11 {
                        try await workflow.followUp(actors.agent, caseID: summary.id, satisfaction: 5, comments: "办理及时，非常满意。", reopen: false)
                    }
                }
                counts[String(stage), default: 0] += 1
            } catch {
                logger.warning("demo workflow step refused", metadata: ["stage": "\(stage)", "error": "\(error)"])
            }
        }
        // Today in Shanghai (UTC+8, no daylight saving), as the notice's period is counted.
        let today = CalendarDate(daysSinceEpoch: Int((Date().timeIntervalSince1970 + 8 * 3600) / 86_400))
        _ = try await PublicNotices(store: store).publish(actors.agent, title: "本月临时救助公示", periodStart: today, periodEnd: today, days: 7)
        logger.info("demo workflow seeded", metadata: ["cases by stage": "\(counts.sorted { $0.key < $1.key })"])
    }

    private func assignmentID(of caseID: UUID, _ cases: Cases, _ context: TenantContext) async throws -> UUID {
        guard let id = try await cases.detail(context, id: caseID).handling.assignments.first?.id else { throw StoreFailure.notFound }
        return id
    }
}
