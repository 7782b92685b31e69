import Foundation
import HTTPTypes
import ReliefDomain
import Testing

/// The standard's flow end to end (DB32/T 4012-2021 figure 1): §5.1.3 a 12345 order, §5.2
/// one-door acceptance, §5.3 referral, §5.4 the joint meeting and collaborative handling, §5.5
/// field work reported up, §5.6 the summary; with what each actor sees and may do at every
/// step, what the applicant reads in the progress query, and what the outbox must deliver.
@Suite("The linkage workflow end to end over HTTP")
struct WorkflowFlowEndpointTests {
    @Test("figure 1, §5.1.3–§5.6: a 12345 order is referred, decided by the joint office with two departments, dispatched on its behalf, signed, investigated by the village, granted, completed, closed and followed up")
    func hotlineOrderThroughTheJointMeeting() async throws {
        try await APITester.run { api in
            try await HotlineFlow(desk: try await CaseDesk.make(api)).run()
        }
    }

    @Test("§5.2: an application rejected at acceptance: the applicant's progress shows the reason, an applicant notice is queued, nothing more can be done")
    func rejectedAtAcceptance() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.register(1)
            let reason = "申请人家庭人均收入高于当地最低生活保障标准"
            let rejected = try await desk.reject(receipt.id, reason: reason)
            expectOK(rejected, "reject")
            #expect(rejected.caseStatus == "rejected" && rejected.handling["rejectionReason"] as? String == reason)
            #expect(rejected.caseAllowedActions == [])
            #expect(!(try await desk.queue(desk.manager)).contains(receipt.id))

            let progress = try await desk.progress(receipt)
            #expect(progress.status == .ok, "\(progress.text)")
            #expect(progress.string("status") == "rejected" && progress.string("statusTitle") == CaseStatus.rejected.title)
            #expect(progress.object["responsible"] as? [String] == [] && progress.object["dueAt"] == nil)
            let events = progress.object["events"] as? [[String: Any]] ?? []
            #expect(events.compactMap { $0["action"] as? String } == ["submitted", "reject"])
            #expect(events.last?["note"] as? String == reason && events.last?["status"] as? String == "rejected")
            #expect(progress.string("applicantName") == "张*")

            let notices = try await api.outbox(case: receipt.id, kind: "applicant_notice", field: "text")
            #expect(notices.count == 1 && notices.first?.contains(reason) == true && notices.first?.contains(receipt.number) == true,
                    "\(notices)")
            #expect(try await api.outbox(case: receipt.id, kind: "hotline_callback", field: "status").isEmpty, "not a 12345 order")
            expectRefused(try await desk.dispatch(receipt.id), allowed: [], "dispatch a rejected case")
        }
    }

    @Test("§5.3–§5.6 退单: a department returns the case with a reason; it is back in the center's queue with returnCount 1, is re-dispatched to another department, signed, granted and completed")
    func returnedAndRedispatched() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            let receipt = try await desk.caseIn(.dispatched, 1)
            let id = receipt.id
            let civilAssignment = try await desk.assignment(id)
            #expect(try await desk.queue(desk.civil) == [id])
            let reason = "申请事项为医疗救助，不属于民政局职责"
            let returned = try await desk.returnAssignment(civilAssignment, by: desk.civil, reason: reason)
            expectOK(returned, "return")
            #expect(returned.caseStatus == "submitted" && returned.handling["returnCount"] as? Int == 1)
            #expect(returned.assignment(civilAssignment)?["status"] as? String == "returned")
            #expect(returned.assignment(civilAssignment)?["returnReason"] as? String == reason)
            #expect(returned.assignment(civilAssignment)?["lead"] as? Bool == false)

            let entry = try await desk.queueEntry(id, desk.manager)
            #expect(entry?["returnCount"] as? Int == 1, "back in the center's queue with its return counted")
            #expect(try await desk.queue(desk.civil).isEmpty)
            let progress = try await desk.progress(receipt)
            #expect(progress.string("status") == "submitted")
            expectProgressNames(progress, responsible: ["社会救助中心"], itemName: HotlineFlow.itemName)

            try await redispatchToMedical(desk, receipt, returnedAssignment: civilAssignment)
        }
    }

    func redispatchToMedical(_ desk: CaseDesk, _ receipt: CaseDesk.Receipt, returnedAssignment: String) async throws {
        let id = receipt.id
        let again = try await desk.dispatch(id, to: [desk.medicalID])
        expectOK(again, "re-dispatch to 医保局")
        #expect(again.caseStatus == "dispatched" && again.assignments.count == 2)
        let medical = try #require(again.assignment(department: desk.medicalID)?["id"] as? String)
        #expect(again.assignment(medical)?["lead"] as? Bool == true && again.assignment(medical)?["status"] as? String == "pending")
        #expect(again.assignment(returnedAssignment)?["status"] as? String == "returned")
        #expect(again.assignment(medical)?["forJointOffice"] as? Bool == false)
        expectRefused(try await desk.sign(returnedAssignment, by: desk.civil), allowed: [], "民政局 signs what it returned")
        expectProgressNames(try await desk.progress(receipt), responsible: [CaseDesk.medicalName], itemName: nil)

        expectOK(try await desk.sign(medical, by: desk.medical), "医保局 signs")
        let done = try await desk.outcome(medical, by: desk.medical, "granted", amount: 2000)
        expectOK(done, "医保局 grants")
        #expect(done.caseStatus == "completed" && done.handling["returnCount"] as? Int == 1)
        #expect(done.assignment(medical)?["outcome"] as? String == "granted" && done.assignment(medical)?["outcomeAmount"] as? Double == 2000)
        #expect(done.events.filter { $0["action"] as? String == "return" }.count == 1)
    }

    @Test("§6.2.1 公示: after grants, a notice for today's period lists item, village, masked name and amount of adults only; anyone reads it without signing in")
    func publicNoticeOfGrants() async throws {
        try await APITester.run { api in
            let desk = try await CaseDesk.make(api)
            try await grant(desk, 41, name: "李四", org: desk.county.villageA, "granted", 800)
            try await grant(desk, 42, name: "周六", org: desk.county.villageB, "partly", 150.5)
            try await grant(desk, 43, name: "孙七", org: desk.county.villageA, "denied", nil)
            // Born 2015: a minor, never listed (reference/policy.md).
            try await grant(desk, 44, name: "赵小明", org: desk.county.villageA, "granted", 300,
                            idNumber: ResidentIDs.complete("32028120150101044"))
            let itemName = try #require(try await desk.get("/catalog/items/\(desk.county.dibao)", desk.manager).string("name"))

            expectProblem(try await publish(desk, desk.villageA), .forbidden, "a village agent publishes")
            let published = try await publish(desk, desk.agent)
            #expect(published.status == .created, "\(published.text)")
            let noticeID = try #require(published.string("id"))
            #expect(published.string("periodStart") == shanghaiToday() && published.string("periodEnd") == shanghaiToday())
            let entries = published.object["entries"] as? [[String: Any]] ?? []
            #expect(entries.count == 2, "\(entries)")
            #expect(entries.contains { entry(is: $0, itemName, "东门社区", "李*", 800, "granted") }, "\(entries)")
            #expect(entries.contains { entry(is: $0, itemName, "西门社区", "周*", 150.5, "partly") }, "\(entries)")
            for absent in ["赵", "孙", "小明"] { #expect(!published.text.contains(absent), "\(absent) listed") }

            let shown = try await desk.get("/public/counties/\(APITester.jiangyin)/notices", nil)
            #expect(shown.status == .ok, "\(shown.text)")
            let notice = try #require(shown.array.first { $0["id"] as? String == noticeID })
            #expect((notice["entries"] as? [[String: Any]])?.count == 2)
            #expect(!shown.text.contains("赵") && !shown.text.contains("32028"), "no minor, no id numbers")
            #expect(try await desk.get("/public/counties/320299000000/notices", nil).status == .notFound)
        }
    }

    func publish(_ desk: CaseDesk, _ token: String) async throws -> APIReply {
        try await desk.post("/public-notices", token,
                            ["title": "社会救助对象公示", "periodStart": shanghaiToday(), "periodEnd": shanghaiToday(), "days": 7])
    }

    func entry(is entry: [String: Any], _ item: String, _ village: String, _ name: String, _ amount: Double, _ outcome: String) -> Bool {
        entry["itemName"] as? String == item && entry["villageName"] as? String == village && entry["applicantName"] as? String == name
            && entry["amount"] as? Double == amount && entry["outcome"] as? String == outcome
    }

    /// A case of applicant `n` in `org`, dispatched to 民政局, signed and finished with `outcome`.
    func grant(_ desk: CaseDesk, _ n: Int, name: String, org: String, _ outcome: String, _ amount: Double?,
               idNumber: String? = nil) async throws {
        let id = try await desk.register(n, org: org, name: name, idNumber: idNumber).id
        expectOK(try await desk.dispatch(id), "dispatch \(name)")
        let assignment = try await desk.assignment(id)
        expectOK(try await desk.sign(assignment, by: desk.civil), "sign \(name)")
        expectOK(try await desk.outcome(assignment, by: desk.civil, outcome, amount: amount), "outcome \(name)")
    }
}

/// The 12345 order of the first test, step by step; each step checks what every actor sees
/// and may do, and what the applicant reads.
struct HotlineFlow {
    let desk: CaseDesk
    var api: APITester { desk.api }
    static let orderNumber = "GD20260301888"
    static let civilNotice = "请携带身份证、户口簿到县民政局社会救助窗口办理低保手续。"
    static let medicalNotice = "请携带住院费用清单到县医保局一楼窗口办理医疗救助。"
    static let report = "入户调查：家庭三口人，主要劳动力重病，人均月收入低于低保标准。"
    static let summary = "民政局纳入低保并发放救助金1200元，医保局落实医疗救助300元，已办结。"
    /// The default catalog's 低保 item, which the order names.
    static let itemName = "最低生活保障申请"

    func run() async throws {
        let receipt = try await pushOrder()
        try await refer(receipt)
        try await decide(receipt)
        let (civil, medical) = try await dispatch(receipt)
        try await sign(receipt, civil: civil, medical: medical)
        let task = try await delegate(receipt, civil: civil, medical: medical)
        try await report(receipt, civil: civil, task: task)
        try await outcomes(receipt, civil: civil, medical: medical)
        try await close(receipt)
        try await checkOutbox(receipt)
    }

    // MARK: Steps

    /// §5.1.3: the signed push makes a submitted case in the center's queue only.
    func pushOrder() async throws -> CaseDesk.Receipt {
        let configured = try await api.send(.put, "/api/v1/hotline-integration", token: desk.manager,
                                            json: ["callbackUrl": "https://12345.example.gov.cn/callback"])
        let secret = try #require(configured.string("secret"))
        let body = try HotlinePushEndpointTests.order(Self.orderNumber)
        let pushed = try await api.send(.post, HotlinePushEndpointTests.ordersPath, raw: body,
                                        headers: HotlinePushEndpointTests.signed(body, secret: secret))
        #expect(pushed.status == .created, "\(pushed.text)")
        let number = try #require(pushed.string("caseNumber"))
        let id = try #require(try await desk.get("/cases", desk.manager).array.first { $0["caseNumber"] as? String == number }?["id"] as? String)
        let receipt = CaseDesk.Receipt(id: id, number: number, code: try #require(pushed.string("queryCode")))

        #expect(try await desk.queue(desk.manager) == [id])
        #expect(try await desk.queue(desk.jointOffice).isEmpty)
        #expect(try await desk.queue(desk.civil).isEmpty)
        expectProblem(try await desk.detail(id, as: desk.civil), .notFound, "民政局 before dispatch")
        expectProblem(try await desk.detail(id, as: desk.villageB), .notFound, "西门社区")
        #expect(try await desk.detail(id, as: desk.villageA).status == .ok, "the applicant's village sees the case")
        try await checkProgress(receipt, "submitted", responsible: ["社会救助中心"])
        expectProblem(try await desk.progress(receipt, code: receipt.code == "ZZZZZZZZ" ? "YYYYYYYY" : "ZZZZZZZZ"), .notFound, "a wrong code")
        expectProblem(try await desk.progress(CaseDesk.Receipt(id: id, number: number + "9", code: receipt.code)), .notFound,
                      "a wrong number")
        return receipt
    }

    /// §5.3: several departments are needed, so the center refers it to the joint meeting.
    func refer(_ receipt: CaseDesk.Receipt) async throws {
        let id = receipt.id
        expectRefused(try await desk.decide(id), allowed: ["reject", "dispatch", "refer", "withdraw"], "decide before referral")
        expectProblem(try await desk.decide(id, by: desk.manager), .forbidden, "the center decides")
        let referred = try await desk.refer(id, by: desk.agent)
        expectOK(referred, "refer")
        #expect(referred.caseStatus == "joint_review" && referred.handling["referralReason"] as? String == "several_departments")
        #expect(referred.caseAllowedActions == CaseWorkflow.allowedActions(in: .jointReview).map(\.rawValue))
        #expect(!(try await desk.queue(desk.manager)).contains(id))
        #expect(try await desk.queue(desk.jointOffice) == [id])
        try await checkProgress(receipt, "joint_review", responsible: ["社会救助联席会议办公室"])
    }

    /// §5.4: the joint office decides relief, 民政局 leading with 医保局, and the plan.
    func decide(_ receipt: CaseDesk.Receipt) async throws {
        let id = receipt.id
        let before = try await desk.snapshot(id)
        expectProblem(try await desk.dispatch(id, to: [desk.civilID, desk.medicalID], lead: desk.civilID), .conflict,
                      "dispatch before the decision")
        expectProblem(try await desk.dispatch(id, to: [desk.civilID, desk.medicalID], lead: desk.civilID, by: desk.jointOffice),
                      .forbidden, "the joint office dispatches")
        #expect(try await desk.snapshot(id) == before)
        let decided = try await desk.decide(id)
        expectOK(decided, "decide")
        #expect(decided.caseStatus == "joint_review" && decided.handling["jointRelief"] as? Bool == true)
        #expect(decided.handling["jointPlan"] as? String == CaseDesk.plan)
        #expect(decided.events.last?["action"] as? String == "decide" && decided.events.last?["visibleToApplicant"] as? Bool == false)
        #expect(try await desk.queue(desk.jointOffice).isEmpty, "decided: no longer the office's work")
        #expect(try await desk.queue(desk.agent).contains(id), "the center's, to dispatch on the office's behalf")
        try await checkProgress(receipt, "joint_review", responsible: ["社会救助联席会议办公室"])
    }

    /// §5.4: the center dispatches on the joint office's behalf to both departments.
    func dispatch(_ receipt: CaseDesk.Receipt) async throws -> (civil: String, medical: String) {
        let id = receipt.id
        let dispatched = try await desk.dispatch(id, to: [desk.medicalID, desk.civilID], lead: desk.civilID, by: desk.agent)
        expectOK(dispatched, "dispatch on the joint office's behalf")
        #expect(dispatched.caseStatus == "dispatched" && dispatched.assignments.count == 2)
        #expect(dispatched.assignments.allSatisfy { $0["forJointOffice"] as? Bool == true && $0["status"] as? String == "pending" })
        #expect(dispatched.assignments.allSatisfy { apiDate($0["dueAt"]) != nil })
        #expect(apiDate(dispatched.handling["dueAt"]) != nil)
        let civil = try #require(dispatched.assignment(department: desk.civilID))
        let medical = try #require(dispatched.assignment(department: desk.medicalID))
        #expect(civil["lead"] as? Bool == true && medical["lead"] as? Bool == false)
        #expect((dispatched.events.last?["detail"] as? [String: String])?["for_joint_office"] == "true")

        #expect(try await desk.queue(desk.jointOffice).isEmpty)
        #expect(try await desk.queue(desk.civil) == [id])
        #expect(try await desk.queue(desk.medical) == [id])
        let seenByMedical = try await desk.detail(id, as: desk.medical)
        #expect(seenByMedical.status == .ok && seenByMedical.assignments.count == 2, "each department sees who else is on it")
        try await checkProgress(receipt, "dispatched", responsible: [CaseDesk.civilName, CaseDesk.medicalName])
        return (try #require(civil["id"] as? String), try #require(medical["id"] as? String))
    }

    /// §5.4: both departments sign for it and tell the applicant what to bring and where.
    func sign(_ receipt: CaseDesk.Receipt, civil: String, medical: String) async throws {
        let id = receipt.id
        expectRefused(try await desk.outcome(civil, by: desk.civil), allowed: ["sign_for", "return"], "outcome before signing")
        expectRefused(try await desk.close(id), allowed: ["withdraw"], "close while dispatched")
        expectProblem(try await desk.sign(civil, by: desk.medical), .notFound, "医保局 signs 民政局's assignment")
        let first = try await desk.sign(civil, by: desk.civil, notice: Self.civilNotice)
        expectOK(first, "民政局 signs")
        #expect(first.caseStatus == "in_progress" && first.assignment(civil)?["applicantNotice"] as? String == Self.civilNotice)
        let second = try await desk.sign(medical, by: desk.medical, notice: Self.medicalNotice)
        expectOK(second, "医保局 signs")
        #expect(second.caseStatus == "in_progress" && second.assignments.allSatisfy { $0["status"] as? String == "accepted" })
        let progress = try await checkProgress(receipt, "in_progress", responsible: [CaseDesk.civilName, CaseDesk.medicalName])
        let notes = (progress.object["events"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "sign_for" }.compactMap { $0["note"] as? String }
        #expect(notes == [Self.civilNotice, Self.medicalNotice], "the applicant reads both notices")
    }

    /// §5.5: 民政局 delegates the household survey to the applicant's village.
    func delegate(_ receipt: CaseDesk.Receipt, civil: String, medical: String) async throws -> String {
        let id = receipt.id
        expectProblem(try await desk.delegate(civil, by: desk.medical), .notFound, "医保局 delegates on 民政局's assignment")
        expectProblem(try await desk.delegate(civil, by: desk.civil, org: desk.county.villageB), .badRequest, "to another village")
        #expect(try await desk.queue(desk.villageA).isEmpty)
        let delegated = try await desk.delegate(civil, by: desk.civil)
        expectOK(delegated, "delegate 入户调查")
        let task = try #require(delegated.tasks.first)
        #expect(task["kind"] as? String == "入户调查" && task["status"] as? String == "open" && task["orgId"] as? String == desk.county.villageA)
        #expect(task["assignmentId"] as? String == civil && apiDate(task["dueAt"]) != nil)
        #expect(try await desk.queue(desk.villageA) == [id], "the village sees its field work")
        #expect(try await desk.queue(desk.villageB).isEmpty)
        expectRefused(try await desk.close(id), allowed: ["withdraw"], "close while in progress")
        return try #require(task["id"] as? String)
    }

    /// §5.5: the village reports up; only then may 民政局 finish.
    func report(_ receipt: CaseDesk.Receipt, civil: String, task: String) async throws {
        let id = receipt.id
        let before = try await desk.snapshot(id)
        expectProblem(try await desk.outcome(civil, by: desk.civil), .conflict, "outcome before the task is reported")
        expectProblem(try await desk.report(task, by: desk.villageB), .notFound, "西门社区 reports")
        expectProblem(try await desk.report(task, by: desk.civil), .forbidden, "the department reports its own task")
        #expect(try await desk.snapshot(id) == before)
        let reported = try await desk.report(task, by: desk.villageA, text: Self.report)
        expectOK(reported, "东门社区 reports")
        #expect(reported.tasks.first?["status"] as? String == "reported" && reported.tasks.first?["report"] as? String == Self.report)
        #expect(try await desk.queue(desk.villageA).isEmpty)
        #expect(try await desk.detail(id, as: desk.civil).tasks.first?["report"] as? String == Self.report, "民政局 reads the report")
        try await checkProgress(receipt, "in_progress", responsible: [CaseDesk.civilName, CaseDesk.medicalName])
    }

    /// §5.5–§5.6: both departments record their results; the last one completes the case.
    func outcomes(_ receipt: CaseDesk.Receipt, civil: String, medical: String) async throws {
        let id = receipt.id
        // An amount finer than a fen would reach the applicant rounded: refused, nothing recorded.
        expectProblem(try await desk.outcome(civil, by: desk.civil, "granted", amount: 0.001), .badRequest, "an amount of 0.001 yuan")
        let first = try await desk.outcome(civil, by: desk.civil, "granted", amount: 1200, content: "纳入低保，发放救助金")
        expectOK(first, "民政局 grants")
        #expect(first.caseStatus == "in_progress" && first.assignment(civil)?["outcomeAmount"] as? Double == 1200)
        #expect(try await desk.queue(desk.civil).isEmpty)
        #expect(try await desk.queue(desk.medical) == [id])
        try await checkProgress(receipt, "in_progress", responsible: [CaseDesk.medicalName])
        expectRefused(try await desk.outcome(civil, by: desk.civil), allowed: [], "民政局 finishes twice")

        let second = try await desk.outcome(medical, by: desk.medical, "partly", amount: 300, content: "政策范围内费用给予医疗救助")
        expectOK(second, "医保局 partly grants")
        #expect(second.caseStatus == "completed" && second.caseAllowedActions == ["close"])
        #expect(second.assignment(medical)?["outcome"] as? String == "partly" && second.assignment(medical)?["outcomeAmount"] as? Double == 300)
        #expect(try await desk.queue(desk.medical).isEmpty)
        try await checkProgress(receipt, "completed", responsible: ["社会救助中心"])
    }

    /// §5.6: the center manager closes with the summary; the follow-up is satisfied.
    func close(_ receipt: CaseDesk.Receipt) async throws {
        let id = receipt.id
        expectProblem(try await desk.close(id, by: desk.agent), .forbidden, "a center agent closes")
        let closed = try await desk.close(id, summary: Self.summary)
        expectOK(closed, "close")
        #expect(closed.caseStatus == "closed" && closed.handling["summary"] as? String == Self.summary)
        #expect(closed.handling["dueAt"] == nil)
        expectProblem(try await desk.followUp(id, satisfaction: 5, reopen: true), .badRequest, "reopen although satisfied")
        let followed = try await desk.followUp(id, satisfaction: 5)
        expectOK(followed, "follow-up")
        #expect(followed.caseStatus == "closed" && followed.events.last?["action"] as? String == "follow_up")
        #expect(followed.events.last?["detail"] as? [String: String] == ["satisfaction": "5"])
        try await checkProgress(receipt, "closed", responsible: [])
    }

    /// The 12345 platform hears of every status change; the applicant of signing and of each result.
    func checkOutbox(_ receipt: CaseDesk.Receipt) async throws {
        let statuses = try await api.outbox(case: receipt.id, kind: "hotline_callback", field: "status")
        #expect(statuses == ["joint_review", "dispatched", "in_progress", "completed", "closed"], "\(statuses)")
        let orders = try await api.outbox(case: receipt.id, kind: "hotline_callback", field: "orderNumber")
        #expect(Set(orders) == [Self.orderNumber])
        let notices = try await api.outbox(case: receipt.id, kind: "applicant_notice", field: "text")
        #expect(notices.count == 4, "\(notices)")
        guard notices.count == 4 else { return }
        #expect(notices[0].contains(CaseDesk.civilName) && notices[0].contains(Self.civilNotice), "\(notices[0])")
        #expect(notices[1].contains(CaseDesk.medicalName) && notices[1].contains(Self.medicalNotice), "\(notices[1])")
        #expect(notices[2].contains(CaseDesk.civilName) && notices[2].contains("1200"), "\(notices[2])")
        #expect(notices[3].contains(CaseDesk.medicalName) && notices[3].contains("300"), "\(notices[3])")
        #expect(notices.allSatisfy { $0.contains(receipt.number) })
    }

    // MARK: The applicant's view

    /// The progress query: status, who holds it, due while open, masked name, and exactly the
    /// events staff marked for the applicant, nothing internal.
    @discardableResult
    func checkProgress(_ receipt: CaseDesk.Receipt, _ status: String, responsible: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> APIReply {
        let progress = try await desk.progress(receipt)
        #expect(progress.status == .ok, "\(progress.text)", sourceLocation: sourceLocation)
        #expect(progress.string("status") == status && progress.string("caseNumber") == receipt.number, sourceLocation: sourceLocation)
        expectProgressNames(progress, responsible: responsible, itemName: Self.itemName, sourceLocation: sourceLocation)
        #expect(progress.string("applicantName") == "王*", sourceLocation: sourceLocation)
        let open = CaseStatus(rawValue: status)?.isOpen == true
        #expect((apiDate(progress.object["dueAt"]) != nil) == open, "\(status): dueAt \(progress.object["dueAt"] ?? "-")",
                sourceLocation: sourceLocation)
        let staff = try await desk.detail(receipt.id).events.filter { $0["visibleToApplicant"] as? Bool == true }
        let events = progress.object["events"] as? [[String: Any]] ?? []
        #expect(events.compactMap { $0["action"] as? String } == staff.compactMap { $0["action"] as? String },
                "the applicant's events", sourceLocation: sourceLocation)
        for secret in [CaseDesk.plan, Self.report, "入户调查", "task_reported", "\"decide\"", "\"delegate\"", "320281198001"] {
            #expect(!progress.text.contains(secret), "the applicant reads \(secret)", sourceLocation: sourceLocation)
        }
        return progress
    }
}
