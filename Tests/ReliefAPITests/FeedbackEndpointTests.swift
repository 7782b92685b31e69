import Foundation
import HTTPTypes
import Testing

/// Complaints, suggestions and praise (DB32/T 4012-2021 §6.2.1, §6.3.6): filed by citizens
/// without an account, answered by the center, read back with number and query code.
@Suite("Feedback over HTTP")
struct FeedbackEndpointTests {
    static func lookup(_ number: String?, _ code: String?) -> JSONBody {
        ["county": APITester.jiangyin, "feedbackNumber": number ?? "", "queryCode": code ?? ""]
    }

    @Test("§6.2.1, §6.3.6: a citizen files feedback about a case or the service, reads it with the code, and reads the center's answer")
    func fileAnswerAndRead() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let receipt = try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao, orgID: county.villageA)
            let caseNumber = try #require(receipt["caseNumber"] as? String)

            // About a case.
            let complaint = try await api.send(.post, "/api/v1/public/feedback", json: [
                "county": APITester.jiangyin, "kind": "complaint", "caseNumber": caseNumber, "subject": "审核太慢",
                "content": "提交申请两周仍未入户调查。", "contactName": "李四", "contactPhone": "13900008888",
            ])
            #expect(complaint.status == .created, "\(String(decoding: complaint.body, as: UTF8.self))")
            let number = try #require(complaint.string("feedbackNumber"))
            let code = try #require(complaint.string("queryCode"))
            #expect(number.hasPrefix("320281-") && code.count == 8)
            let due = try #require(apiDate(complaint.object["dueAt"]))
            #expect(due > Date().addingTimeInterval(86_400), "dueAt \(due) lies in the future (days, not seconds)")
            // About the service, without a case.
            let suggestion = try await api.send(.post, "/api/v1/public/feedback", json: [
                "county": APITester.jiangyin, "kind": "suggestion", "subject": "周末开放", "content": "建议周六上午开放受理窗口。",
            ])
            #expect(suggestion.status == .created)
            let suggestionNumber = try #require(suggestion.string("feedbackNumber"))
            #expect(suggestionNumber != number)

            // The citizen reads it with number and code (case and spaces of the code do not matter).
            let open = try await api.send(.post, "/api/v1/public/feedback/lookup", json: Self.lookup(number, code))
            #expect(open.status == .ok)
            #expect(open.string("status") == "open" && open.string("subject") == "审核太慢" && open.string("kind") == "complaint")
            #expect(open.object["answer"] == nil && open.object["answeredAt"] == nil)
            let spaced = String(code.lowercased().prefix(4)) + " " + String(code.lowercased().dropFirst(4))
            let typed = try await api.send(.post, "/api/v1/public/feedback/lookup", json: Self.lookup(number, spaced))
            #expect(typed.status == .ok)
            // A wrong code, another feedback's code or an unknown number answer 404 alike.
            let wrongCode = String(code.reversed()) == code ? "ABCDEFGH" : String(code.reversed())
            let wrong = try await api.send(.post, "/api/v1/public/feedback/lookup", json: Self.lookup(number, wrongCode))
            #expect(wrong.status == .notFound && wrong.isProblem)
            let crossed = try await api.send(.post, "/api/v1/public/feedback/lookup",
                                             json: Self.lookup(number, suggestion.string("queryCode")))
            #expect(crossed.status == .notFound)
            let unknown = try await api.send(.post, "/api/v1/public/feedback/lookup", json: Self.lookup("320281-FK-9999999", code))
            #expect(unknown.status == .notFound && NSDictionary(dictionary: unknown.object) == NSDictionary(dictionary: wrong.object))

            // The center lists it: open first, contact details masked, the case named.
            let listed = try await api.send(.get, "/api/v1/feedback", token: county.manager)
            #expect(listed.status == .ok && listed.array.count == 2)
            let entry = try #require(listed.array.first { $0["feedbackNumber"] as? String == number })
            #expect(entry["caseNumber"] as? String == caseNumber && entry["status"] as? String == "open")
            #expect(entry["contactName"] as? String == "李*" && entry["contactPhone"] as? String == "139****8888")
            #expect(entry["content"] as? String == "提交申请两周仍未入户调查。")
            #expect(listed.array.first { $0["feedbackNumber"] as? String == suggestionNumber }?["caseNumber"] == nil)
            let id = try #require(entry["id"] as? String)

            // Answering: empty is refused; once is 200; twice is 409 and the first answer stays.
            let empty = try await api.send(.post, "/api/v1/feedback/\(id)/answer", token: county.manager, json: ["answer": "  "])
            #expect(empty.status == .badRequest && empty.isProblem)
            let answered = try await api.send(.post, "/api/v1/feedback/\(id)/answer", token: county.manager,
                                              json: ["answer": "已督促街道三个工作日内入户调查。"])
            #expect(answered.status == .ok)
            #expect(answered.string("status") == "answered" && answered.string("answer") == "已督促街道三个工作日内入户调查。")
            #expect(apiDate(answered.object["answeredAt"]) != nil)
            let twice = try await api.send(.post, "/api/v1/feedback/\(id)/answer", token: county.manager, json: ["answer": "另一答复"])
            #expect(twice.status == .conflict && twice.isProblem)
            let missing = try await api.send(.post, "/api/v1/feedback/\(UUID().uuidString)/answer", token: county.manager,
                                             json: ["answer": "x"])
            #expect(missing.status == .notFound)

            let read = try await api.send(.post, "/api/v1/public/feedback/lookup", json: Self.lookup(number, code))
            #expect(read.status == .ok && read.string("status") == "answered")
            #expect(read.string("answer") == "已督促街道三个工作日内入户调查。" && apiDate(read.object["answeredAt"]) != nil)
            let openOnly = try await api.send(.get, "/api/v1/feedback?status=open", token: county.manager).array
            #expect(openOnly.compactMap { $0["feedbackNumber"] as? String } == [suggestionNumber])
            #expect(try await api.auditCount("feedback_answered", objectID: id) == 1)

            // Closing: only what was answered, once; the citizen still reads the answer.
            let suggestionID = try #require(listed.array.first { $0["feedbackNumber"] as? String == suggestionNumber }?["id"] as? String)
            let unanswered = try await api.send(.post, "/api/v1/feedback/\(suggestionID)/close", token: county.manager)
            #expect(unanswered.status == .conflict && unanswered.isProblem)
            let closed = try await api.send(.post, "/api/v1/feedback/\(id)/close", token: county.manager)
            #expect(closed.status == .ok && closed.string("status") == "closed")
            #expect(try await api.send(.post, "/api/v1/feedback/\(id)/close", token: county.manager).status == .conflict)
            #expect(try await api.send(.post, "/api/v1/feedback/\(UUID().uuidString)/close", token: county.manager).status == .notFound)
            let readClosed = try await api.send(.post, "/api/v1/public/feedback/lookup", json: Self.lookup(number, code))
            #expect(readClosed.string("status") == "closed" && readClosed.string("answer") == "已督促街道三个工作日内入户调查。")
            #expect(try await api.send(.get, "/api/v1/feedback?status=closed", token: county.manager).array.count == 1)
            #expect(try await api.auditCount("feedback_closed", objectID: id) == 1)
        }
    }

    @Test("§6.2.1: feedback naming an unknown case, with bad contact data or for an unknown county is refused and stores nothing")
    func invalidFeedback() async throws {
        try await APITester.run { api in
            let base: JSONBody = ["county": APITester.jiangyin, "kind": "complaint", "subject": "标题", "content": "内容"]
            let invalid: [(String, JSONBody)] = [
                ("unknown case", base.merging(["caseNumber": "320281-20260101-9999999"]) { $1 }),
                ("blank subject", base.merging(["subject": "  "]) { $1 }),
                ("bad phone", base.merging(["contactPhone": "phone"]) { $1 }),
                ("unknown kind", base.merging(["kind": "threat"]) { $1 }),
            ]
            for (label, body) in invalid {
                let reply = try await api.send(.post, "/api/v1/public/feedback", json: body)
                #expect(reply.status == .badRequest && reply.isProblem, "\(label): \(reply.status)")
            }
            let unknownCounty = try await api.send(.post, "/api/v1/public/feedback", json: base.merging(["county": "320299000000"]) { $1 })
            #expect(unknownCounty.status == .notFound && unknownCounty.isProblem)
            #expect(try await api.ownerCount("SELECT count(*) FROM feedback") == 0)
        }
    }

    @Test("§6.3.6: department staff may not list or answer feedback (403), and nothing changes")
    func departmentAgentRefused() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let county = try await api.countyOrgID(manager)
            let department = try await api.departmentID(manager)
            let agent = try await api.createUser(manager, username: "minzheng.agent", orgID: county, roles: ["department_agent"],
                                                 departmentID: department).token
            let filed = try await api.send(.post, "/api/v1/public/feedback", json: [
                "county": APITester.jiangyin, "kind": "praise", "subject": "服务周到", "content": "窗口工作人员耐心细致。",
            ])
            #expect(filed.status == .created)
            let id = try #require(try await api.send(.get, "/api/v1/feedback", token: manager).array.first?["id"] as? String)

            let list = try await api.send(.get, "/api/v1/feedback", token: agent)
            #expect(list.status == .forbidden && list.isProblem)
            let answer = try await api.send(.post, "/api/v1/feedback/\(id)/answer", token: agent, json: ["answer": "谢谢"])
            #expect(answer.status == .forbidden && answer.isProblem)
            #expect(try await api.send(.post, "/api/v1/feedback/\(id)/close", token: agent).status == .forbidden)
            let lookup = try await api.send(.post, "/api/v1/public/feedback/lookup",
                                            json: Self.lookup(filed.string("feedbackNumber"), filed.string("queryCode")))
            #expect(lookup.string("status") == "open" && lookup.object["answer"] == nil)
            #expect(try await api.send(.get, "/api/v1/feedback").status == .unauthorized)
        }
    }
}
