import Foundation
import HTTPTypes
import Testing

/// Registration at a county, township or village window (DB32/T 4012-2021 §5.1.1), the case's
/// timeline (§6.1.2.2) and who sees which case through the API.
@Suite("Window registration over HTTP")
struct WindowRegistrationEndpointTests {
    @Test("§5.1.1: registering at a window creates a submitted case with a receipt, an opening event and masked applicant data")
    func registerAtWindow() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let idNumber = ResidentIDs.number(7)
            let receipt = try await api.registerCreated(
                county.manager, windowID: county.countyWindow, itemID: county.dibao, orgID: county.villageA,
                applicant: APITester.applicant(idNumber, name: "张三丰", phone: "13912345678"))
            let caseID = try #require(receipt["caseId"] as? String)
            let caseNumber = try #require(receipt["caseNumber"] as? String)
            #expect(caseNumber.hasPrefix("320281-"), "\(caseNumber)")
            let queryCode = try #require(receipt["queryCode"] as? String)
            #expect(queryCode.count == 8)
            #expect(queryCode.allSatisfy { "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains($0) }, "\(queryCode)")
            let itemName = try await api.send(.get, "/api/v1/catalog/items/\(county.dibao)", token: county.manager).string("name")
            #expect(receipt["itemName"] as? String == itemName && itemName != nil)
            #expect(apiDate(receipt["submittedAt"]) != nil)
            #expect(receipt["possibleDuplicateOf"] == nil)

            let detail = try await api.send(.get, "/api/v1/cases/\(caseID)", token: county.manager)
            #expect(detail.status == .ok)
            let summary = detail.object["case"] as? [String: Any] ?? [:]
            #expect(summary["id"] as? String == caseID && summary["caseNumber"] as? String == caseNumber)
            #expect(summary["status"] as? String == "submitted" && summary["channel"] as? String == "window")
            #expect(summary["itemId"] as? String == county.dibao && summary["orgId"] as? String == county.villageA)
            #expect(summary["orgName"] as? String == "东门社区" && summary["greenChannel"] as? Bool == false)
            #expect(summary["applicantName"] as? String == "张**" && summary["itemName"] as? String == itemName)
            #expect(detail.object["windowId"] as? String == county.countyWindow)
            #expect(detail.object["itemVersion"] as? Int == 1)
            let applicant = detail.object["applicant"] as? [String: Any] ?? [:]
            #expect(applicant["masked"] as? Bool == true)
            #expect(applicant["idNumber"] as? String == "3202**********" + idNumber.suffix(4))
            #expect(applicant["phone"] as? String == "139****5678")
            #expect(applicant["name"] as? String == "张**")
            #expect(!String(decoding: detail.body, as: UTF8.self).contains(idNumber), "the full id number never shows masked")
            let events = detail.object["events"] as? [[String: Any]] ?? []
            #expect(events.count == 1)
            let opening = try #require(events.first)
            #expect(opening["action"] as? String == "submitted" && opening["toStatus"] as? String == "submitted")
            #expect(opening["fromStatus"] == nil)
            #expect(opening["actorName"] as? String == "王主任")
            #expect(opening["visibleToApplicant"] as? Bool == true)
            #expect((opening["detail"] as? [String: String])?["channel"] == "window")

            // The list shows it, masked too.
            let list = try await api.send(.get, "/api/v1/cases", token: county.manager)
            #expect(list.status == .ok && list.array.count == 1)
            #expect(list.array.first?["caseNumber"] as? String == caseNumber)
            #expect(list.array.first?["applicantName"] as? String == "张**")
            #expect(try await api.auditCount("case_registered", objectID: caseID) == 1)
        }
    }

    @Test("revealing the applicant's data (reveal=true) shows it in full to the manager and is audited; auditors may not")
    func revealIsAudited() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let idNumber = ResidentIDs.number(8)
            let receipt = try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                        orgID: county.villageA, applicant: APITester.applicant(idNumber))
            let caseID = try #require(receipt["caseId"] as? String)
            #expect(try await api.auditCount("applicant_revealed", objectID: caseID) == 0)
            _ = try await api.send(.get, "/api/v1/cases/\(caseID)", token: county.manager)
            #expect(try await api.auditCount("applicant_revealed", objectID: caseID) == 0, "a masked read is not a reveal")

            let revealed = try await api.send(.get, "/api/v1/cases/\(caseID)?reveal=true", token: county.manager)
            #expect(revealed.status == .ok)
            let applicant = revealed.object["applicant"] as? [String: Any] ?? [:]
            #expect(applicant["masked"] as? Bool == false)
            #expect(applicant["idNumber"] as? String == idNumber && applicant["name"] as? String == "张三")
            #expect(applicant["phone"] as? String == "13800001234" && applicant["address"] as? String == "江阴市澄江街道人民路1号")
            #expect(try await api.auditCount("applicant_revealed", objectID: caseID) == 1)

            // An auditor reads masked only; asking to reveal is refused and not audited as a reveal.
            let auditor = try await api.createUser(county.manager, username: "audit.li", orgID: county.countyOrgID, roles: ["auditor"]).token
            let masked = try await api.send(.get, "/api/v1/cases/\(caseID)", token: auditor)
            #expect(masked.status == .ok && (masked.object["applicant"] as? [String: Any])?["masked"] as? Bool == true)
            let refused = try await api.send(.get, "/api/v1/cases/\(caseID)?reveal=true", token: auditor)
            #expect(refused.status == .forbidden && refused.isProblem)
            #expect(!String(decoding: refused.body, as: UTF8.self).contains(idNumber))
            #expect(try await api.auditCount("applicant_revealed", objectID: caseID) == 1)
        }
    }

    @Test("§5.1.1: a second application of the same applicant for the same item is flagged as a possible duplicate, never merged")
    func duplicateFlagged() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let person = APITester.applicant(ResidentIDs.number(9))
            let first = try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                      orgID: county.villageA, applicant: person)
            let firstID = try #require(first["caseId"] as? String)
            #expect(first["possibleDuplicateOf"] == nil)
            // The same person, registered at another window, phone written differently.
            var again = person
            again["phone"] = "138 0000 1234"
            let second = try await api.registerCreated(county.manager, windowID: county.villageBWindow, itemID: county.dibao,
                                                       orgID: county.villageB, applicant: again)
            let secondID = try #require(second["caseId"] as? String)
            #expect(second["possibleDuplicateOf"] as? String == firstID)
            #expect(secondID != firstID && second["caseNumber"] as? String != first["caseNumber"] as? String)
            #expect(try await api.caseCount() == 2)
            let list = try await api.send(.get, "/api/v1/cases", token: county.manager).array
            #expect(Set(list.compactMap { $0["id"] as? String }) == [firstID, secondID])
            #expect(list.first { $0["id"] as? String == secondID }?["possibleDuplicateOf"] as? String == firstID)
            let detail = try await api.send(.get, "/api/v1/cases/\(secondID)", token: county.manager)
            #expect((detail.object["case"] as? [String: Any])?["possibleDuplicateOf"] as? String == firstID)
            let opening = (detail.object["events"] as? [[String: Any]])?.first?["detail"] as? [String: String]
            #expect(opening?["possible_duplicate_of"] == firstID)

            // Another item, or another person, is no duplicate.
            let otherItemID = try #require(county.itemIDs.first { $0.key != "dibao" }?.value)
            let otherItem = try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: otherItemID,
                                                          orgID: county.villageA, applicant: person)
            #expect(otherItem["possibleDuplicateOf"] == nil)
            let otherPerson = try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                            orgID: county.villageA, applicant: APITester.applicant(ResidentIDs.number(10)))
            #expect(otherPerson["possibleDuplicateOf"] == nil)
        }
    }

    @Test("§5.1.1: ten registrations of one applicant for one item at the same moment: every one but the first is flagged")
    func simultaneousDuplicatesFlagged() async throws {
        try await APITester.run(maximumConnections: 10) { api in
            let county = try await IntakeCounty.make(api)
            let person = APITester.applicant(ResidentIDs.number(15))
            let replies = try await withThrowingTaskGroup(of: APIReply.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await api.register(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                               orgID: county.villageA, applicant: person)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created })
            let unflagged = replies.filter { $0.object["possibleDuplicateOf"] == nil }
            #expect(unflagged.count == 1, "\(unflagged.count) of 10 unflagged")
            #expect(try await api.ownerCount("SELECT count(*) FROM cases WHERE possible_duplicate_of IS NOT NULL") == 9)
        }
    }

    @Test("§6.3.5: a green-channel registration records the reason on the case")
    func greenChannel() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let reply = try await api.register(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                               orgID: county.villageA, greenChannelReason: "申请人为重度残疾人，行动不便")
            #expect(reply.status == .created)
            let caseID = try #require(reply.string("caseId"))
            let detail = try await api.send(.get, "/api/v1/cases/\(caseID)", token: county.manager)
            #expect((detail.object["case"] as? [String: Any])?["greenChannel"] as? Bool == true)
            #expect(detail.string("greenChannelReason") == "申请人为重度残疾人，行动不便")
            let opening = (detail.object["events"] as? [[String: Any]])?.first?["detail"] as? [String: String]
            #expect(opening?["green_channel"] == "true")
            // A blank reason is refused, not taken as "no green channel".
            let blank = try await api.register(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                               orgID: county.villageA, applicant: APITester.applicant(ResidentIDs.number(2)),
                                               greenChannelReason: "   ")
            #expect(blank.status == .badRequest && blank.isProblem)
            #expect(try await api.caseCount() == 1)
        }
    }

    @Test("§5.1.1: a bad id number, phone or description, a missing window, an unknown or retired item answer 400 and create no case")
    func invalidRegistration() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let retiredID = try await api.itemID(county.manager, code: "dibao")
            let retire = try await api.send(.post, "/api/v1/catalog/items/\(retiredID)/retire", token: county.manager)
            #expect(retire.status == .ok)
            let medical = try #require(county.itemIDs.first { $0.key != "dibao" }?.value)
            let closedWindow = try await api.createWindow(county.manager, orgID: county.countyOrgID, name: "已关闭窗口", itemIDs: [medical])
            #expect(try await api.send(.patch, "/api/v1/windows/\(closedWindow)", token: county.manager, json: ["active": false]).status == .ok)
            // A window lists the items it takes; a retired item cannot be added to one.
            let other = try #require(county.itemIDs.first { $0.key != "dibao" && $0.value != medical }?.value)
            let medicalWindow = try await api.createWindow(county.manager, orgID: county.countyOrgID, name: "医疗救助窗口", itemIDs: [medical])
            let retiredAdded = try await api.send(.patch, "/api/v1/windows/\(medicalWindow)", token: county.manager,
                                                  json: ["itemIds": [medical, retiredID]])
            #expect(retiredAdded.status == .badRequest && retiredAdded.isProblem)

            let attempts: [(String, String, String, String, JSONBody)] = [
                ("wrong check character", county.countyWindow, medical, county.villageA, APITester.applicant(ResidentIDs.badCheck(3))),
                ("17 characters", county.countyWindow, medical, county.villageA, APITester.applicant(String(ResidentIDs.number(3).prefix(17)))),
                ("born in the future", county.countyWindow, medical, county.villageA,
                 APITester.applicant(ResidentIDs.complete("32028120990101001"))),
                ("bad phone", county.countyWindow, medical, county.villageA, APITester.applicant(ResidentIDs.number(3), phone: "12345")),
                ("name with digits", county.countyWindow, medical, county.villageA, APITester.applicant(ResidentIDs.number(3), name: "张3")),
                ("unknown window", UUID().uuidString, medical, county.villageA, APITester.applicant()),
                ("malformed window id", "window-1", medical, county.villageA, APITester.applicant()),
                ("deactivated window", closedWindow, medical, county.villageA, APITester.applicant()),
                ("retired item", county.countyWindow, retiredID, county.villageA, APITester.applicant()),
                ("an item the window does not take", medicalWindow, other, county.villageA, APITester.applicant()),
                ("unknown item", county.countyWindow, UUID().uuidString, county.villageA, APITester.applicant()),
                ("unknown place", county.countyWindow, medical, UUID().uuidString, APITester.applicant()),
                ("county as the applicant's place", county.countyWindow, medical, county.countyOrgID, APITester.applicant()),
            ]
            for (label, window, item, org, applicant) in attempts {
                let reply = try await api.register(county.manager, windowID: window, itemID: item, orgID: org, applicant: applicant)
                #expect(reply.status == .badRequest, "\(label): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.isProblem, "\(label)")
            }
            // A missing field and an empty description.
            let missingWindow = try await api.send(.post, "/api/v1/cases", token: county.manager,
                                                   json: ["itemId": medical, "orgId": county.villageA, "applicant": APITester.applicant(),
                                                          "description": "x"])
            #expect(missingWindow.status == .badRequest && missingWindow.isProblem)
            let emptyDescription = try await api.send(.post, "/api/v1/cases", token: county.manager,
                                                      json: ["windowId": county.countyWindow, "itemId": medical, "orgId": county.villageA,
                                                             "applicant": APITester.applicant(), "description": "  "])
            #expect(emptyDescription.status == .badRequest && emptyDescription.isProblem)

            #expect(try await api.caseCount() == 0)
            #expect(try await api.send(.get, "/api/v1/cases", token: county.manager).array.isEmpty)
            #expect(try await api.ownerCount("SELECT count(*) FROM case_events") == 0)
        }
    }

    @Test("row-level security: a village agent sees its village's cases only; another county's manager gets 404")
    func villageAgentSeesOwnVillage() async throws {
        try await APITester.run(counties: [(APITester.jiangyin, "江阴市"), (APITester.yixing, "宜兴市")]) { api in
            let county = try await IntakeCounty.make(api)
            let agentA = try await api.createUser(county.manager, username: "dongmen.agent", orgID: county.villageA,
                                                  roles: ["village_agent"]).token
            let mine = try await api.registerCreated(agentA, windowID: county.villageAWindow, itemID: county.dibao, orgID: county.villageA,
                                                     applicant: APITester.applicant(ResidentIDs.number(11)))
            let mineID = try #require(mine["caseId"] as? String)
            let theirs = try await api.registerCreated(county.manager, windowID: county.villageBWindow, itemID: county.dibao,
                                                       orgID: county.villageB, applicant: APITester.applicant(ResidentIDs.number(12)))
            let theirsID = try #require(theirs["caseId"] as? String)

            let list = try await api.send(.get, "/api/v1/cases", token: agentA)
            #expect(list.status == .ok)
            #expect(list.array.compactMap { $0["id"] as? String } == [mineID])
            let own = try await api.send(.get, "/api/v1/cases/\(mineID)", token: agentA)
            #expect(own.status == .ok)
            #expect((own.object["events"] as? [[String: Any]])?.first?["actorOrgName"] as? String == "东门社区")
            let other = try await api.send(.get, "/api/v1/cases/\(theirsID)", token: agentA)
            let nowhere = try await api.send(.get, "/api/v1/cases/\(UUID().uuidString)", token: agentA)
            #expect(other.status == .notFound && other.isProblem)
            #expect(NSDictionary(dictionary: other.object) == NSDictionary(dictionary: nowhere.object),
                    "another village's case answers exactly like one that does not exist")

            // The village agent registers only at its own centre's window, for its own village.
            let atOtherWindow = try await api.register(agentA, windowID: county.villageBWindow, itemID: county.dibao, orgID: county.villageB,
                                                       applicant: APITester.applicant(ResidentIDs.number(13)))
            #expect(atOtherWindow.status == .badRequest || atOtherWindow.status == .forbidden)
            // At its own window, an applicant of the other village or of the township above is
            // not its to file: 403, not the database's refusal as a 500.
            for place in [county.villageB, county.townshipID] {
                let outside = try await api.register(agentA, windowID: county.villageAWindow, itemID: county.dibao, orgID: place,
                                                     applicant: APITester.applicant(ResidentIDs.number(14)))
                #expect(outside.status == .forbidden && outside.isProblem, "\(outside.status)")
                #expect(outside.string("detail")?.contains("辖区") == true)
            }
            #expect(try await api.caseCount() == 2)
            // The manager sees both.
            #expect(try await api.send(.get, "/api/v1/cases", token: county.manager).array.count == 2)

            // Another county's manager sees neither.
            let yixing = try await api.signIn(county: APITester.yixing)
            for id in [mineID, theirsID] {
                let foreign = try await api.send(.get, "/api/v1/cases/\(id)", token: yixing)
                #expect(foreign.status == .notFound && foreign.isProblem)
                let foreignReveal = try await api.send(.get, "/api/v1/cases/\(id)?reveal=true", token: yixing)
                #expect(foreignReveal.status == .notFound)
            }
            #expect(try await api.send(.get, "/api/v1/cases", token: yixing).array.isEmpty)
            #expect(try await api.auditCount("applicant_revealed") == 0)
        }
    }
}
