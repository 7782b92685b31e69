import Foundation
import Postgres
import ReliefDomain
import ReliefStore

/// SplitMix64: a small, seeded generator so a failing property test can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random counties with org trees, departments, users and cases, and the visibility rule
/// computed here in Swift, independently of the SQL policies it checks.
struct TenantWorld {
    struct Org {
        let id: UUID
        let countyID: UUID
        let tier: OrgTier
        let code: String
        let path: String
        let parentID: UUID?
    }

    struct Department {
        let id: UUID
        let countyID: UUID
        let kind: String
    }

    struct User {
        let id: UUID
        let countyID: UUID
        let org: Org
        let departmentID: UUID?
        let roles: Set<Role>

        var context: TenantContext {
            TenantContext(countyID: countyID, userID: id, orgPath: org.path, departmentID: departmentID, roles: roles)
        }
    }

    struct Case {
        let id: UUID
        let countyID: UUID
        let org: Org
        let departments: Set<UUID>
    }

    var counties: [(id: UUID, code: String)] = []
    var orgs: [Org] = []
    var departments: [Department] = []
    var users: [User] = []
    var cases: [Case] = []

    init(generator: inout SeededGenerator, counties countyCount: Int = 3) {
        var usedPrefixes = Set<Int>()
        for _ in 0..<countyCount {
            var prefix = Int.random(in: 320_100...329_999, using: &generator)
            while usedPrefixes.contains(prefix) { prefix += 1 }
            usedPrefixes.insert(prefix)
            let countyID = UUID()
            let countyCode = "\(prefix)000000"
            counties.append((countyID, countyCode))
            let county = Org(id: UUID(), countyID: countyID, tier: .county, code: countyCode, path: countyCode, parentID: nil)
            orgs.append(county)
            for township in 1...Int.random(in: 2...3, using: &generator) {
                let townshipCode = "\(prefix)\(String(format: "%03d", township))000"
                let townshipOrg = Org(id: UUID(), countyID: countyID, tier: .township, code: townshipCode,
                                      path: "\(countyCode).\(townshipCode)", parentID: county.id)
                orgs.append(townshipOrg)
                for village in 1...Int.random(in: 1...3, using: &generator) {
                    let villageCode = "\(prefix)\(String(format: "%03d", township))\(String(format: "%03d", village))"
                    orgs.append(Org(id: UUID(), countyID: countyID, tier: .village, code: villageCode,
                                    path: "\(townshipOrg.path).\(villageCode)", parentID: townshipOrg.id))
                }
            }
            departments.append(Department(id: UUID(), countyID: countyID, kind: "relief_center"))
            departments.append(Department(id: UUID(), countyID: countyID, kind: "joint_office"))
            for _ in 0..<3 { departments.append(Department(id: UUID(), countyID: countyID, kind: "department")) }
        }
        for county in counties {
            let countyOrgs = orgs.filter { $0.countyID == county.id }
            let countyOrg = countyOrgs.first { $0.tier == .county }!
            let countyDepartments = departments.filter { $0.countyID == county.id }
            for _ in 0..<14 {
                // One or two roles, each placed where that role sits.
                var roles: Set<Role> = [Role.allCases.randomElement(using: &generator)!]
                if Int.random(in: 0..<4, using: &generator) == 0 { roles.insert(Role.allCases.randomElement(using: &generator)!) }
                let primary = roles.sorted { $0.rawValue < $1.rawValue }.first!
                let org: Org
                var departmentID: UUID?
                switch primary {
                case .townshipAgent: org = countyOrgs.filter { $0.tier == .township }.randomElement(using: &generator)!
                case .villageAgent: org = countyOrgs.filter { $0.tier == .village }.randomElement(using: &generator)!
                case .departmentManager, .departmentAgent:
                    org = countyOrg
                    departmentID = countyDepartments.filter { $0.kind == "department" }.randomElement(using: &generator)!.id
                case .jointOffice:
                    org = countyOrg
                    departmentID = countyDepartments.first { $0.kind == "joint_office" }!.id
                case .centerManager, .centerAgent:
                    org = countyOrg
                    departmentID = countyDepartments.first { $0.kind == "relief_center" }!.id
                case .auditor: org = countyOrg
                }
                users.append(User(id: UUID(), countyID: county.id, org: org, departmentID: departmentID, roles: roles))
            }
            for _ in 0..<30 {
                let org = countyOrgs.filter { $0.tier != .county }.randomElement(using: &generator)!
                let assigned = countyDepartments.filter { $0.kind == "department" }
                    .filter { _ in Bool.random(using: &generator) }.map(\.id)
                cases.append(Case(id: UUID(), countyID: county.id, org: org, departments: Set(assigned)))
            }
        }
    }

    /// The visibility rule of DESIGN.md, written independently of the SQL.
    static func canSee(_ user: User, _ item: Case) -> Bool {
        guard user.countyID == item.countyID else { return false }
        if !user.roles.isDisjoint(with: Role.countyWide) { return true }
        if !user.roles.isDisjoint(with: Role.subtree),
           item.org.path == user.org.path || item.org.path.hasPrefix(user.org.path + ".") { return true }
        if !user.roles.isDisjoint(with: Role.department), let department = user.departmentID,
           item.departments.contains(department) { return true }
        return false
    }

    static func canUpdate(_ user: User, _ item: Case) -> Bool {
        canSee(user, item) && !user.roles.isDisjoint(with: Role.writers)
    }

    /// Writes the world as the owner (who bypasses row-level security as superuser).
    func insert(into connection: PostgresConnection) async throws {
        for county in counties {
            try await connection.execute("INSERT INTO counties (county_id, division_code, name) VALUES (\(county.id), \(county.code), \("县\(county.code)"))")
        }
        for org in orgs {
            try await connection.execute("""
                INSERT INTO orgs (county_id, id, tier, division_code, name, parent_id, path)
                VALUES (\(org.countyID), \(org.id), \(org.tier.rawValue)::org_tier, \(org.code), \("机构\(org.code)"), \(org.parentID), \(org.path)::ltree)
                """)
        }
        for department in departments {
            try await connection.execute("""
                INSERT INTO departments (county_id, id, kind, name)
                VALUES (\(department.countyID), \(department.id), \(department.kind)::department_kind, \("部门\(department.id.uuidString.prefix(8))"))
                """)
        }
        for user in users {
            try await connection.execute("""
                INSERT INTO users (county_id, id, username, display_name, password_hash, org_id, department_id)
                VALUES (\(user.countyID), \(user.id), \("u" + user.id.uuidString.prefix(12).lowercased()), \("用户"), \("-"), \(user.org.id), \(user.departmentID))
                """)
            for role in user.roles {
                try await connection.execute("INSERT INTO role_grants (county_id, user_id, role) VALUES (\(user.countyID), \(user.id), \(role.rawValue)::app_role)")
            }
        }
        for item in cases {
            try await connection.execute("""
                INSERT INTO cases (county_id, id, org_id, org_path, title) VALUES (\(item.countyID), \(item.id), \(item.org.id), \(item.org.path)::ltree, \("申请"))
                """)
            for department in item.departments {
                try await connection.execute("""
                    INSERT INTO case_assignments (county_id, case_id, department_id) VALUES (\(item.countyID), \(item.id), \(department))
                    """)
            }
        }
    }
}
