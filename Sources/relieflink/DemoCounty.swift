import Foundation
import Logging
import ReliefDomain
import ReliefStore

/// Fills the demo county so a newcomer finds work waiting for every role: townships and
/// villages, one user per role, windows, the 12345 link, and a few hundred applications from
/// all three channels (§5.1). Everything goes through the same store functions the API uses,
/// so the demo's data obeys every rule real data does.
struct DemoCounty {
    static let countyCode = "320281000000"
    let store: Store
    let cipher: PersonalDataCipher
    let logger: Logger

    struct DemoUser {
        let username: String
        let displayName: String
        let role: Role
    }

    /// One user per role; `manager` is the bootstrapped first manager.
    static let users: [DemoUser] = [
        .init(username: "agent", displayName: "受理员小王", role: .centerAgent),
        .init(username: "joint", displayName: "联席办老刘", role: .jointOffice),
        .init(username: "mz.manager", displayName: "民政局陈科长", role: .departmentManager),
        .init(username: "mz.agent", displayName: "民政局经办小周", role: .departmentAgent),
        .init(username: "township", displayName: "澄江街道经办员", role: .townshipAgent),
        .init(username: "village", displayName: "城中社区经办员", role: .villageAgent),
        .init(username: "auditor", displayName: "审计员", role: .auditor),
    ]

    static let townships: [(code: String, name: String, villages: [(String, String)])] = [
        ("320281001000", "澄江街道", [("320281001001", "城中社区"), ("320281001002", "君山社区"), ("320281001003", "黄山村")]),
        ("320281002000", "南闸街道", [("320281002001", "南闸社区"), ("320281002002", "观西村"), ("320281002003", "陶湾村")]),
        ("320281003000", "云亭街道", [("320281003001", "云亭社区"), ("320281003002", "花山村"), ("320281003003", "建南村")]),
    ]

    /// Seeds the county; `password` is every demo user's. Safe to run on a county seeded
    /// before: it adds nothing twice.
    func seed(managerPassword: String, password: String, applications: Int = 300) async throws {
        let accounts = Accounts(store: store)
        let manager = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: managerPassword).context
        let directory = Directory(store: store)
        guard try await directory.orgs(manager).count == 1 else {
            logger.info("demo county already seeded")
            return
        }
        let county = try await directory.orgs(manager)[0]
        var villages: [Directory.Org] = []
        var townshipOrgs: [Directory.Org] = []
        for township in Self.townships {
            let org = try await directory.createOrg(manager, tier: .township, divisionCode: township.code, name: township.name, parentID: county.id)
            townshipOrgs.append(org)
            for (code, name) in township.villages {
                villages.append(try await directory.createOrg(manager, tier: .village, divisionCode: code, name: name, parentID: org.id))
            }
        }
        let departments = try await directory.departments(manager)
        func department(_ kind: String, _ name: String? = nil) -> UUID? {
            departments.first { $0.kind == kind && (name == nil || $0.name == name) }?.id
        }
        for user in Self.users {
            let (org, departmentID): (Directory.Org, UUID?) = switch user.role {
            case .centerAgent, .centerManager: (county, department("relief_center"))
            case .jointOffice: (county, department("joint_office"))
            case .departmentManager, .departmentAgent: (county, department("department", "民政局"))
            case .townshipAgent: (townshipOrgs[0], nil)
            case .villageAgent: (villages[0], nil)
            case .auditor: (county, nil)
            }
            _ = try await directory.createUser(manager, username: user.username, displayName: user.displayName, password: password,
                                               orgID: org.id, departmentID: departmentID, roles: [user.role])
        }
        let items = try await Catalog(store: store).items(manager)
        let windows = ServiceWindows(store: store)
        let centerWindow = try await windows.create(manager, orgID: county.id, name: "综合受理窗口", functionArea: "一门受理区",
                                                    itemIDs: items.map(\.id))
        var townshipWindows: [UUID: ServiceWindows.Window] = [:]
        for township in townshipOrgs {
            townshipWindows[township.id] = try await windows.create(
                manager, orgID: township.id, name: "社会救助窗口", functionArea: "为民服务中心", itemIDs: items.map(\.id))
        }
        let villageWindow = try await windows.create(manager, orgID: villages[0].id, name: "代办点", functionArea: "党群服务中心",
                                                     itemIDs: items.map(\.id))
        _ = try await HotlineIntegration(store: store, cipher: cipher).configure(manager, callbackURL: nil, rotateSecret: true)

        let agent = try await accounts.signIn(countyCode: Self.countyCode, username: "agent", password: password).context
        let townshipAgent = try await accounts.signIn(countyCode: Self.countyCode, username: "township", password: password).context
        let villageAgent = try await accounts.signIn(countyCode: Self.countyCode, username: "village", password: password).context
        let intake = Intake(store: store, cipher: cipher)
        var random = SystemRandomNumberGenerator()
        var filed = 0
        for index in 0..<applications {
            let village = villages.randomElement(using: &random)!
            let item = items.randomElement(using: &random)!
            let green = Int.random(in: 0..<10, using: &random) == 0 ? "申请人为80岁以上独居老人" : nil
            let application = Intake.Application(
                applicant: Self.applicant(using: &random), item: .code(item.code), place: .org(village.id),
                description: Self.reasons.randomElement(using: &random)!, greenChannelReason: green)
            do {
                switch index % 10 {
                case 0..<2:
                    _ = try await intake.register(agent, windowID: centerWindow.id, application: application)
                case 2:
                    // Township staff register for their own township's villages only.
                    var local = application
                    local.place = .org(villages[Int.random(in: 0..<3, using: &random)].id)
                    _ = try await intake.register(townshipAgent, windowID: townshipWindows[townshipOrgs[0].id]!.id, application: local)
                case 3:
                    var local = application
                    local.place = .org(villages[0].id)
                    _ = try await intake.register(villageAgent, windowID: villageWindow.id, application: local)
                case 4..<7:
                    var online = application
                    online.place = .divisionCode(village.divisionCode)
                    _ = try await intake.applyOnline(countyID: manager.countyID, application: online)
                default:
                    var pushed = application
                    pushed.place = .divisionCode(village.divisionCode)
                    _ = try await intake.receiveHotlineOrder(countyID: manager.countyID, orderNumber: "12345-DEMO-\(100_000 + index)",
                                                             application: pushed)
                }
                filed += 1
            } catch {
                logger.warning("demo application refused", metadata: ["error": "\(error)"])
            }
        }
        logger.info("demo county seeded", metadata: ["applications": "\(filed)", "users": "\(Self.users.count + 1)"])
        let joint = try await accounts.signIn(countyCode: Self.countyCode, username: "joint", password: password).context
        let department = try await accounts.signIn(countyCode: Self.countyCode, username: "mz.manager", password: password).context
        try await advance(Actors(manager: manager, agent: agent, joint: joint, department: department, village: villageAgent))
    }

    private static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    private static let givenNames = ["秀英", "建国", "桂兰", "志强", "海燕", "明", "丽", "国平", "淑珍", "小红", "伟", "芳", "金凤", "永康"]
    private static let reasons = [
        "家庭成员患重病，医疗支出大，生活困难。", "因病致贫，无固定收入，申请救助。", "房屋受台风损坏，需要临时救助。",
        "子女就学困难，申请教育救助。", "失业后家庭收入低于当地低保标准。", "独居老人，无劳动能力，无生活来源。",
        "突发交通事故，家庭生活陷入困境。", "残疾人家庭，收入微薄，申请帮扶。",
    ]

    /// A made-up applicant with a valid id number (GB 11643) born in the county.
    static func applicant(using random: inout some RandomNumberGenerator) -> Applicant {
        let year = Int.random(in: 1935...2012, using: &random)
        let month = Int.random(in: 1...12, using: &random)
        let day = Int.random(in: 1...28, using: &random)
        let first17 = String(format: "320281%04d%02d%02d%03d", year, month, day, Int.random(in: 1...999, using: &random))
        let idNumber = first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
        let name = String(surnames.randomElement(using: &random)!) + givenNames.randomElement(using: &random)!
        let phone = "13" + String(format: "%09d", Int.random(in: 0...999_999_999, using: &random))
        return try! Applicant(name: name, idNumber: idNumber, phone: phone, address: "江苏省江阴市某街道某小区")
    }
}
