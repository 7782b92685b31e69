import Foundation
import HTTPTypes
import Testing

/// The item catalog (事项清单, DB32/T 4012-2021 §6.1.3) and service windows (§6.1.4) over HTTP.
@Suite("Item catalog and service windows over HTTP")
struct CatalogEndpointTests {
    static let allKinds: Set<String> = [
        "minimum_living", "destitute_support", "disaster", "medical", "education", "housing", "employment", "temporary",
        "social_participation",
    ]

    /// A complete item body: all attributes §6.1.3.1 names, materials with §6.1.3.2 review standards.
    static func itemBody(code: String = "canji_butie", departmentID: String, name: String = "困难残疾人生活补贴",
                         timeLimitDays: Int = 20, materials: [JSONBody]? = nil) -> JSONBody {
        [
            "code": code, "kind": "social_participation", "departmentId": departmentID, "name": name,
            "targetGroup": "本县户籍、持第二代残疾人证的低保家庭残疾人",
            "process": "申请—受理—审核—公示—审批—发放",
            "reliefContent": "每人每月补贴100元",
            "policyBasis": "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
            "timeLimitDays": timeLimitDays,
            "materials": materials ?? [
                ["key": "disability_card", "name": "残疾人证", "required": true,
                 "review": ["form": "原件及复印件", "keyPoints": ["证件在有效期内", "姓名与身份证一致"],
                            "commonProblems": ["证件过期"], "errorExamples": ["提供旧版残疾人证"]] as JSONBody],
                ["key": "id_card", "name": "身份证", "required": false,
                 "review": ["form": "原件", "keyPoints": ["号码与申请表一致"], "commonProblems": [String](), "errorExamples": [String]()] as JSONBody],
            ],
        ]
    }

    /// The same without `code` and `kind`, which a revision does not change.
    static func revisionBody(departmentID: String, name: String = "困难残疾人生活补贴", timeLimitDays: Int = 20) -> JSONBody {
        var body = itemBody(departmentID: departmentID, name: name, timeLimitDays: timeLimitDays)
        body["code"] = nil
        body["kind"] = nil
        return body
    }

    @Test("§6.1.3: a new county starts with the 8+1 default items, every material with a review standard")
    func defaultCatalog() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let items = try await api.items(manager)
            #expect(items.count == 9)
            #expect(Set(items.compactMap { $0["kind"] as? String }) == Self.allKinds)
            #expect(Set(items.compactMap { $0["code"] as? String }).count == 9)
            for item in items {
                let code = item["code"] as? String ?? "?"
                #expect(item["version"] as? Int == 1 && item["currentVersion"] as? Int == 1, "\(code)")
                #expect((item["departmentName"] as? String)?.isEmpty == false, "\(code)")
                for attribute in ["name", "targetGroup", "process", "reliefContent", "policyBasis"] {
                    #expect((item[attribute] as? String)?.isEmpty == false, "\(code).\(attribute)")
                }
                #expect((item["timeLimitDays"] as? Int ?? 0) >= 1, "\(code)")
                let materials = item["materials"] as? [[String: Any]] ?? []
                #expect(!materials.isEmpty, "\(code) has no materials")
                for material in materials {
                    let review = material["review"] as? [String: Any] ?? [:]
                    #expect((review["form"] as? String)?.isEmpty == false, "\(code)/\(material["key"] ?? "?")")
                    #expect((review["keyPoints"] as? [String])?.isEmpty == false, "\(code)/\(material["key"] ?? "?")")
                }
            }
            // The same through the item endpoint.
            let first = try #require(items.first?["id"] as? String)
            let one = try await api.send(.get, "/api/v1/catalog/items/\(first)", token: manager)
            #expect(one.status == .ok && one.string("id") == first)
        }
    }

    @Test("§6.1.3: a manager creates an item with every attribute, revises it to version 2 keeping version 1, and retires it")
    func createReviseRetire() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let department = try await api.departmentID(manager, named: "残联")
            let created = try await api.send(.post, "/api/v1/catalog/items", token: manager, json: Self.itemBody(departmentID: department))
            #expect(created.status == .created)
            let item = created.object
            let id = try #require(item["id"] as? String)
            #expect(item["code"] as? String == "canji_butie" && item["kind"] as? String == "social_participation")
            #expect(item["version"] as? Int == 1 && item["currentVersion"] as? Int == 1)
            #expect(item["departmentId"] as? String == department && item["departmentName"] as? String == "残联")
            #expect(item["name"] as? String == "困难残疾人生活补贴" && item["timeLimitDays"] as? Int == 20)
            #expect(item["targetGroup"] as? String == "本县户籍、持第二代残疾人证的低保家庭残疾人")
            #expect(item["process"] as? String == "申请—受理—审核—公示—审批—发放")
            #expect(item["reliefContent"] as? String == "每人每月补贴100元")
            #expect((item["policyBasis"] as? String)?.hasPrefix("《国务院") == true)
            #expect(item["retiredAt"] == nil)
            let materials = item["materials"] as? [[String: Any]] ?? []
            #expect(materials.map { $0["key"] as? String } == ["disability_card", "id_card"])
            #expect(materials.map { $0["required"] as? Bool } == [true, false])
            let review = materials.first?["review"] as? [String: Any] ?? [:]
            #expect(review["form"] as? String == "原件及复印件")
            #expect(review["keyPoints"] as? [String] == ["证件在有效期内", "姓名与身份证一致"])
            #expect(review["commonProblems"] as? [String] == ["证件过期"])
            #expect(review["errorExamples"] as? [String] == ["提供旧版残疾人证"])
            #expect(try await api.items(manager).count == 10)

            // Revision: a new version; the old one stays as it was.
            let other = try await api.departmentID(manager, named: "民政局")
            let revision = Self.revisionBody(departmentID: other, name: "困难残疾人生活补贴（2026版）", timeLimitDays: 15)
            let revised = try await api.send(.put, "/api/v1/catalog/items/\(id)", token: manager, json: revision)
            #expect(revised.status == .ok)
            #expect(revised.object["version"] as? Int == 2 && revised.object["currentVersion"] as? Int == 2)
            #expect(revised.string("name") == "困难残疾人生活补贴（2026版）" && revised.object["timeLimitDays"] as? Int == 15)
            #expect(revised.string("departmentName") == "民政局" && revised.string("code") == "canji_butie")
            let current = try await api.send(.get, "/api/v1/catalog/items/\(id)", token: manager)
            #expect(current.object["version"] as? Int == 2 && current.string("name") == "困难残疾人生活补贴（2026版）")
            let old = try await api.send(.get, "/api/v1/catalog/items/\(id)?version=1", token: manager)
            #expect(old.status == .ok)
            #expect(old.object["version"] as? Int == 1 && old.object["currentVersion"] as? Int == 2)
            #expect(old.string("name") == "困难残疾人生活补贴" && old.object["timeLimitDays"] as? Int == 20)
            #expect(old.string("departmentName") == "残联")
            // Versions no item reaches, beyond int4 and beyond Int64 too, are unknown, not a crash.
            for version in ["3", "45772107631", "2147483648", "9223372036854775807"] {
                let future = try await api.send(.get, "/api/v1/catalog/items/\(id)?version=\(version)", token: manager)
                #expect(future.status == .notFound && future.isProblem, "version=\(version): \(future.status)")
            }
            let beyondInt64 = try await api.send(.get, "/api/v1/catalog/items/\(id)?version=99999999999999999999", token: manager)
            #expect(beyondInt64.status == .badRequest && beyondInt64.isProblem, "\(beyondInt64.status)")
            for version in ["0", "-1"] {
                let invalid = try await api.send(.get, "/api/v1/catalog/items/\(id)?version=\(version)", token: manager)
                #expect(invalid.status == .badRequest && invalid.isProblem, "version=\(version)")
            }
            #expect(try await api.items(manager).count == 10, "a revision is not a new item")

            // Retirement: gone from the default list, kept with includeRetired.
            let retired = try await api.send(.post, "/api/v1/catalog/items/\(id)/retire", token: manager)
            #expect(retired.status == .ok && retired.object["retiredAt"] != nil)
            let active = try await api.items(manager)
            #expect(active.count == 9 && !active.contains { $0["id"] as? String == id })
            let all = try await api.items(manager, includeRetired: true)
            #expect(all.count == 10)
            #expect(all.first { $0["id"] as? String == id }?["retiredAt"] != nil)
            // A retired item is not revised any more.
            let late = try await api.send(.put, "/api/v1/catalog/items/\(id)", token: manager, json: revision)
            #expect(late.status == .conflict && late.isProblem)
            #expect(try await api.send(.get, "/api/v1/catalog/items/\(id)", token: manager).object["version"] as? Int == 2)
        }
    }

    @Test("§6.1.3: only center managers keep the catalog; a center agent gets 403 and nothing changes")
    func nonManagerRefused() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let county = try await api.countyOrgID(manager)
            let agent = try await api.createUser(manager, username: "zhang.agent", orgID: county, roles: ["center_agent"]).token
            let department = try await api.departmentID(manager)
            let dibao = try await api.itemID(manager, code: "dibao")
            let before = try await api.send(.get, "/api/v1/catalog/items/\(dibao)", token: manager)

            // Reading is for everyone signed in.
            #expect(try await api.items(agent).count == 9)
            let create = try await api.send(.post, "/api/v1/catalog/items", token: agent, json: Self.itemBody(departmentID: department))
            #expect(create.status == .forbidden && create.isProblem)
            let revision = Self.revisionBody(departmentID: department, name: "篡改")
            let revise = try await api.send(.put, "/api/v1/catalog/items/\(dibao)", token: agent, json: revision)
            #expect(revise.status == .forbidden && revise.isProblem)
            let retire = try await api.send(.post, "/api/v1/catalog/items/\(dibao)/retire", token: agent)
            #expect(retire.status == .forbidden && retire.isProblem)
            let window = try await api.send(.post, "/api/v1/windows", token: agent,
                                            json: ["orgId": county, "name": "越权窗口", "functionArea": "受理区", "itemIds": [dibao]])
            #expect(window.status == .forbidden && window.isProblem)

            #expect(try await api.items(manager, includeRetired: true).count == 9)
            let after = try await api.send(.get, "/api/v1/catalog/items/\(dibao)", token: manager)
            #expect(after.body == before.body, "the item is unchanged, still version 1 and not retired")
            #expect(try await api.send(.get, "/api/v1/windows", token: manager).array.isEmpty)
            #expect(try await api.ownerCount("SELECT count(*) FROM catalog_item_versions") == 9)
            // Without signing in: 401.
            #expect(try await api.send(.get, "/api/v1/catalog/items").status == .unauthorized)
        }
    }

    @Test("§6.1.3: invalid item content answers 400 and a duplicate code 409; nothing is created")
    func invalidContent() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let department = try await api.departmentID(manager)
            let center = try #require(try await api.departments(manager).first { $0["kind"] as? String == "relief_center" }?["id"] as? String)
            let material = { (key: String, keyPoints: [String]) -> JSONBody in
                ["key": key, "name": "身份证", "required": true,
                 "review": ["form": "原件", "keyPoints": keyPoints, "commonProblems": [String](), "errorExamples": [String]()] as JSONBody]
            }
            let invalid: [(String, JSONBody)] = [
                ("bad code", Self.itemBody(code: "Bad Code!", departmentID: department)),
                ("one-character code", Self.itemBody(code: "x", departmentID: department)),
                ("empty keyPoints", Self.itemBody(departmentID: department, materials: [material("id_card", [])])),
                ("duplicate material keys", Self.itemBody(departmentID: department,
                                                          materials: [material("id_card", ["a"]), material("id_card", ["b"])])),
                ("bad material key", Self.itemBody(departmentID: department, materials: [material("ID Card", ["a"])])),
                ("timeLimitDays 0", Self.itemBody(departmentID: department, timeLimitDays: 0)),
                ("timeLimitDays 366", Self.itemBody(departmentID: department, timeLimitDays: 366)),
                ("blank name", Self.itemBody(departmentID: department, name: "   ")),
                ("relief center as implementing department", Self.itemBody(departmentID: center)),
                ("unknown department", Self.itemBody(departmentID: UUID().uuidString)),
                ("malformed department id", Self.itemBody(departmentID: "not-a-uuid")),
                ("unknown kind", Self.itemBody(departmentID: department).merging(["kind": "lottery"]) { $1 }),
            ]
            for (label, body) in invalid {
                let reply = try await api.send(.post, "/api/v1/catalog/items", token: manager, json: body)
                #expect(reply.status == .badRequest, "\(label): \(reply.status)")
                #expect(reply.isProblem, "\(label)")
            }
            #expect(try await api.items(manager, includeRetired: true).count == 9)
            #expect(try await api.ownerCount("SELECT count(*) FROM catalog_item_versions") == 9)

            // Wrong types and missing fields name the field, in Chinese.
            var fraction = Self.itemBody(departmentID: department)
            fraction["timeLimitDays"] = 5.5
            var text = Self.itemBody(departmentID: department)
            text["timeLimitDays"] = "二十"
            var missing = Self.itemBody(departmentID: department)
            missing["name"] = nil
            // (Foundation's decoder does not say which field a fraction was given for.)
            for (label, body, field) in [("5.5 days", fraction, "整数"), ("days in words", text, "timeLimitDays"),
                                         ("no name", missing, "name")] {
                let reply = try await api.send(.post, "/api/v1/catalog/items", token: manager, json: body)
                #expect(reply.status == .badRequest && reply.isProblem, "\(label)")
                let detail = reply.string("detail") ?? ""
                #expect(detail.contains(field) && !detail.contains("The given data"), "\(label): \(detail)")
            }
            let notJSON = try await api.send(.post, "/api/v1/catalog/items", token: manager, raw: Data("{\"code\":".utf8),
                                             headers: [.contentType: "application/json"])
            #expect(notJSON.status == .badRequest && notJSON.string("detail")?.contains("JSON") == true, "\(notJSON.string("detail") ?? "")")

            // Revisions are checked the same way and leave the item at version 1.
            let dibao = try await api.itemID(manager, code: "dibao")
            let badRevision = try await api.send(.put, "/api/v1/catalog/items/\(dibao)", token: manager,
                                                 json: Self.revisionBody(departmentID: department, timeLimitDays: 0))
            #expect(badRevision.status == .badRequest && badRevision.isProblem)
            #expect(try await api.send(.get, "/api/v1/catalog/items/\(dibao)", token: manager).object["currentVersion"] as? Int == 1)
            let unknown = try await api.send(.put, "/api/v1/catalog/items/\(UUID().uuidString)", token: manager,
                                             json: Self.revisionBody(departmentID: department))
            #expect(unknown.status == .notFound && unknown.isProblem)

            // A code already taken (a default item's) is a conflict.
            let duplicate = try await api.send(.post, "/api/v1/catalog/items", token: manager,
                                               json: Self.itemBody(code: "dibao", departmentID: department))
            #expect(duplicate.status == .conflict && duplicate.isProblem)
            #expect(try await api.items(manager, includeRetired: true).count == 9)
        }
    }

    @Test("§6.1.4: a manager opens windows at the county center and at township and village centers, and changes them")
    func windows() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let county = try await api.countyOrgID(manager)
            let township = try await api.createOrg(manager, tier: "township", divisionCode: "320281100000", name: "澄江街道", parentID: county)
            let village = try await api.createOrg(manager, tier: "village", divisionCode: "320281100201", name: "东门社区", parentID: township)
            let dibao = try await api.itemID(manager, code: "dibao")
            let catalog = try await api.items(manager)
            let medical = try #require(catalog.first { $0["kind"] as? String == "medical" }?["id"] as? String)
            let ids = WindowIDs(county: county, township: township, village: village, dibao: dibao, medical: medical)
            let (townshipWindow, villageWindow) = try await openWindows(api, manager, ids)
            try await changeWindows(api, manager, ids, townshipWindow: townshipWindow, villageWindow: villageWindow)
            try await refuseBadWindows(api, manager, ids, villageWindow: villageWindow)
        }
    }

    struct WindowIDs {
        let county, township, village, dibao, medical: String
    }

    /// Opens one window at each tier; answers the township's and the village's.
    private func openWindows(_ api: APITester, _ manager: String, _ ids: WindowIDs) async throws -> (String, String) {
        let countyWindow = try await api.send(.post, "/api/v1/windows", token: manager,
                                              json: ["orgId": ids.county, "name": "1号综合窗口", "functionArea": "综合受理区",
                                                     "itemIds": [ids.dibao, ids.medical]])
        #expect(countyWindow.status == .created)
        #expect(countyWindow.string("orgId") == ids.county && countyWindow.string("orgName") == "江阴市")
        #expect(countyWindow.string("name") == "1号综合窗口" && countyWindow.string("functionArea") == "综合受理区")
        #expect(countyWindow.object["active"] as? Bool == true)
        #expect(Set(countyWindow.object["itemIds"] as? [String] ?? []) == [ids.dibao, ids.medical])
        let townshipWindow = try await api.createWindow(manager, orgID: ids.township, name: "街道便民服务中心窗口", itemIDs: [ids.dibao])
        let villageWindow = try await api.createWindow(manager, orgID: ids.village, name: "社区代办点", functionArea: "代办区", itemIDs: [])

        let listed = try await api.send(.get, "/api/v1/windows", token: manager).array
        let countyWindowID = try #require(countyWindow.string("id"))
        #expect(Set(listed.compactMap { $0["id"] as? String }) == [countyWindowID, townshipWindow, villageWindow])
        let township = listed.first { $0["id"] as? String == townshipWindow }
        #expect(township?["orgName"] as? String == "澄江街道")
        let village = listed.first { $0["id"] as? String == villageWindow }
        #expect((village?["itemIds"] as? [String])?.isEmpty == true)
        return (townshipWindow, villageWindow)
    }

    /// Renames, changes items, deactivates.
    private func changeWindows(_ api: APITester, _ manager: String, _ ids: WindowIDs, townshipWindow: String, villageWindow: String) async throws {
        let updated = try await api.send(.patch, "/api/v1/windows/\(villageWindow)", token: manager,
                                         json: ["name": "东门社区代办点", "itemIds": [ids.dibao, ids.medical]])
        #expect(updated.status == .ok)
        #expect(updated.string("name") == "东门社区代办点" && updated.string("functionArea") == "代办区")
        #expect(Set(updated.object["itemIds"] as? [String] ?? []) == [ids.dibao, ids.medical])
        let deactivated = try await api.send(.patch, "/api/v1/windows/\(townshipWindow)", token: manager, json: ["active": false])
        #expect(deactivated.status == .ok && deactivated.object["active"] as? Bool == false)
        #expect(deactivated.object["itemIds"] as? [String] == [ids.dibao], "items untouched when not given")
    }

    /// An unknown item id or org, a taken name, an unknown window: refused, nothing changes.
    private func refuseBadWindows(_ api: APITester, _ manager: String, _ ids: WindowIDs, villageWindow: String) async throws {
        let unknownItem = UUID().uuidString.lowercased()
        let badCreate = try await api.send(.post, "/api/v1/windows", token: manager,
                                           json: ["orgId": ids.county, "name": "2号窗口", "functionArea": "综合受理区",
                                                  "itemIds": [ids.dibao, unknownItem]])
        #expect(badCreate.status == .badRequest && badCreate.isProblem)
        let badUpdate = try await api.send(.patch, "/api/v1/windows/\(villageWindow)", token: manager,
                                           json: ["name": "改名", "itemIds": [unknownItem]])
        #expect(badUpdate.status == .badRequest && badUpdate.isProblem)
        let after = try await api.send(.get, "/api/v1/windows", token: manager).array
        #expect(after.count == 3)
        let village = after.first { $0["id"] as? String == villageWindow }
        #expect(village?["name"] as? String == "东门社区代办点")
        #expect(Set(village?["itemIds"] as? [String] ?? []) == [ids.dibao, ids.medical])

        let noOrg = try await api.send(.post, "/api/v1/windows", token: manager,
                                       json: ["orgId": UUID().uuidString, "name": "x", "functionArea": "y", "itemIds": [String]()])
        #expect(noOrg.status == .badRequest && noOrg.isProblem)
        let sameName = try await api.send(.post, "/api/v1/windows", token: manager,
                                          json: ["orgId": ids.county, "name": "1号综合窗口", "functionArea": "y", "itemIds": [String]()])
        #expect(sameName.status == .conflict && sameName.isProblem)
        let missing = try await api.send(.patch, "/api/v1/windows/\(UUID().uuidString)", token: manager, json: ["name": "x"])
        #expect(missing.status == .notFound)
        let count = try await api.send(.get, "/api/v1/windows", token: manager).array.count
        #expect(count == 3)
    }
}
