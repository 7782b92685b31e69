import Foundation
import Postgres
import ReliefDomain

/// The county's configuration that center managers keep (DESIGN.md, roles): townships and
/// villages, departments, users and their roles. Rows are deactivated, never deleted, since
/// cases refer to them. Row-level security admits writes from center managers only; these
/// functions check the role first to answer clearly.
public struct Directory: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public typealias Failure = StoreFailure

    public struct Org: Sendable, Equatable {
        public let id: UUID
        public let tier: OrgTier
        public let divisionCode: String
        public let name: String
        public let parentID: UUID?
        public let path: String
        public let active: Bool
    }

    public struct Department: Sendable, Equatable {
        public let id: UUID
        public let kind: String
        public let name: String
        public let active: Bool
    }

    public struct User: Sendable, Equatable {
        public let id: UUID
        public let username: String
        public let displayName: String
        public let orgID: UUID
        public let departmentID: UUID?
        public let active: Bool
        public let roles: [Role]
    }

    // MARK: Orgs

    public func orgs(_ context: TenantContext) async throws -> [Org] {
        try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                SELECT id, tier::text, division_code, name, parent_id, path::text, active FROM orgs ORDER BY path
                """).decode((UUID, String, String, String, UUID?, String, Bool).self).map(Self.org)
        }
    }

    /// A place a citizen may name as where they live: an active township or village.
    public struct Place: Sendable, Equatable {
        public let divisionCode: String
        public let name: String
        public let tier: OrgTier
        public let parentDivisionCode: String?
    }

    /// The county's active townships and villages, for citizens applying online.
    public func places(countyID: UUID) async throws -> [Place] {
        try await store.withChannel(.online, countyID: countyID) { transaction in
            try await transaction.query("""
                SELECT o.division_code, o.name, o.tier::text, p.division_code
                FROM orgs o LEFT JOIN orgs p ON p.county_id = o.county_id AND p.id = o.parent_id
                WHERE o.tier <> 'county' AND o.active ORDER BY o.path
                """).decode((String, String, String, String?).self).map {
                Place(divisionCode: $0.0, name: $0.1, tier: OrgTier(rawValue: $0.2) ?? .village, parentDivisionCode: $0.3)
            }
        }
    }

    /// Adds a township under the county, or a village under a township (§3.1's three tiers).
    public func createOrg(_ context: TenantContext, tier: OrgTier, divisionCode: String, name: String, parentID: UUID) async throws -> Org {
        try requireManager(context)
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw Failure.invalid("名称应为1–100个字符") }
        guard DivisionCode.isWellFormed(divisionCode) else {
            throw Failure.invalid("行政区划代码应为12位数字")
        }
        return try await store.withTenant(context) { transaction in
            guard let parent = try await transaction.query("""
                SELECT id, tier::text, division_code, name, parent_id, path::text, active FROM orgs WHERE id = \(parentID)
                FOR UPDATE
                """).decode((UUID, String, String, String, UUID?, String, Bool).self).first.map(Self.org) else {
                throw Failure.invalid("上级机构不存在")
            }
            guard parent.active else { throw Failure.conflict("上级机构“\(parent.name)”已停用，不能在其下新增机构") }
            switch (tier, parent.tier) {
            case (.township, .county):
                guard divisionCode.hasPrefix(String(parent.divisionCode.prefix(6))), divisionCode.hasSuffix("000"),
                      !divisionCode.hasSuffix("000000") else {
                    throw Failure.invalid("乡镇（街道）代码应以所属县代码前6位开头、以000结尾")
                }
            case (.village, .township):
                guard divisionCode.hasPrefix(String(parent.divisionCode.prefix(9))), !divisionCode.hasSuffix("000") else {
                    throw Failure.invalid("村（社区）代码应以所属乡镇代码前9位开头")
                }
            default:
                throw Failure.invalid("乡镇（街道）隶属于县，村（社区）隶属于乡镇（街道）")
            }
            let id = UUID()
            do {
                try await transaction.execute("""
                    INSERT INTO orgs (county_id, id, tier, division_code, name, parent_id, path)
                    VALUES (\(context.countyID), \(id), \(tier.rawValue)::org_tier, \(divisionCode), \(name), \(parentID),
                            (\(parent.path) || '.' || \(divisionCode))::ltree)
                    """)
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw Failure.conflict("行政区划代码 \(divisionCode) 已存在")
            }
            try await transaction.audit("org_created", objectType: "org", objectID: id.uuidString.lowercased(),
                                        detail: ["tier": tier.rawValue, "division_code": divisionCode, "name": name])
            return Org(id: id, tier: tier, divisionCode: divisionCode, name: name, parentID: parentID,
                       path: parent.path + "." + divisionCode, active: true)
        }
    }

    /// Renames, deactivates or reactivates an org.
    public func updateOrg(_ context: TenantContext, id: UUID, name: String?, active: Bool?) async throws -> Org {
        try requireManager(context)
        if let name, !(1...100).contains(name.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            throw Failure.invalid("名称应为1–100个字符")
        }
        return try await store.withTenant(context) { transaction in
            if let active {
                try await Self.checkOrgActivation(id, active: active, in: transaction)
            }
            guard let row = try await transaction.query("""
                UPDATE orgs SET name = coalesce(\(name?.trimmingCharacters(in: .whitespacesAndNewlines)), name),
                                active = coalesce(\(active), active)
                WHERE id = \(id)
                RETURNING id, tier::text, division_code, name, parent_id, path::text, active
                """).decode((UUID, String, String, String, UUID?, String, Bool).self).first else { throw Failure.notFound }
            try await transaction.audit("org_updated", objectType: "org", objectID: id.uuidString.lowercased(),
                                        detail: ["name": name ?? "", "active": active.map { String($0) } ?? ""])
            return Self.org(row)
        }
    }

    /// The tree stays whole: the county's own org is never deactivated; a township is
    /// deactivated only once its villages are (so none is left offered to citizens under a
    /// closed township) and its staff are deactivated or moved, and an org is reactivated only
    /// under an active parent. A township's row is locked by whoever changes it or what hangs
    /// under it, so closing it and opening a village under it at once cannot both succeed.
    private static func checkOrgActivation(_ id: UUID, active: Bool, in transaction: TenantTransaction) async throws {
        guard let (tier, parentID) = try await transaction.query("""
            SELECT tier::text, parent_id FROM orgs WHERE id = \(id) FOR UPDATE
            """).decode((String, UUID?).self).first else { throw Failure.notFound }
        if !active {
            guard tier != OrgTier.county.rawValue else { throw Failure.conflict("县（市、区）本级机构不能停用") }
            let children = try await transaction.query("""
                SELECT name FROM orgs WHERE parent_id = \(id) AND active ORDER BY division_code
                """).column(String.self)
            if !children.isEmpty {
                throw Failure.conflict("请先停用其下属的村（社区）：\(children.joined(separator: "、"))")
            }
            let staff = try await activeStaff(seatedIn: "org_id", id, in: transaction)
            if !staff.isEmpty {
                throw Failure.conflict("请先停用或调走在此机构的用户：\(staff.joined(separator: "、"))")
            }
        } else if let parentID {
            let parentActive = try await transaction.query("SELECT active FROM orgs WHERE id = \(parentID) FOR UPDATE").scalar(Bool.self)
            if parentActive == false { throw Failure.conflict("上级机构已停用，请先启用上级机构") }
        }
    }

    /// The active users seated in an org or department (`column` is `org_id` or
    /// `department_id`), named for the manager who would close it.
    private static func activeStaff(seatedIn column: String, _ id: UUID, in transaction: TenantTransaction) async throws -> [String] {
        try await transaction.query("""
            SELECT display_name FROM users WHERE \(identifier: column) = \(id) AND active ORDER BY username LIMIT 20
            """).column(String.self)
    }

    // MARK: Departments

    public func departments(_ context: TenantContext) async throws -> [Department] {
        try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("SELECT id, kind::text, name, active FROM departments ORDER BY kind, name")
                .decode((UUID, String, String, Bool).self).map { Department(id: $0.0, kind: $0.1, name: $0.2, active: $0.3) }
        }
    }

    public func createDepartment(_ context: TenantContext, name: String) async throws -> Department {
        try requireManager(context)
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw Failure.invalid("名称应为1–100个字符") }
        return try await store.withTenant(context) { transaction in
            let id = UUID()
            do {
                try await transaction.execute("""
                    INSERT INTO departments (county_id, id, kind, name) VALUES (\(context.countyID), \(id), 'department', \(name))
                    """)
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw Failure.conflict("部门“\(name)”已存在")
            }
            try await transaction.audit("department_created", objectType: "department", objectID: id.uuidString.lowercased(),
                                        detail: ["name": name])
            return Department(id: id, kind: "department", name: name, active: true)
        }
    }

    public func updateDepartment(_ context: TenantContext, id: UUID, name: String?, active: Bool?) async throws -> Department {
        try requireManager(context)
        if let name, !(1...100).contains(name.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            throw Failure.invalid("名称应为1–100个字符")
        }
        return try await store.withTenant(context) { transaction in
            if active == false {
                // The center and the joint office are the one door and the joint meeting (§5):
                // without them no case is accepted or decided.
                let kind = try await transaction.query("SELECT kind::text FROM departments WHERE id = \(id) FOR UPDATE").scalar(String.self)
                if let kind, kind != Role.DepartmentKind.department.rawValue {
                    throw Failure.conflict("社会救助中心和联席会议办公室不能停用")
                }
                let staff = try await Self.activeStaff(seatedIn: "department_id", id, in: transaction)
                if !staff.isEmpty {
                    throw Failure.conflict("请先停用或调走该部门的用户：\(staff.joined(separator: "、"))")
                }
                // Citizens could still apply for an item nobody would handle: its department
                // is deactivated only once its items are retired or handed to another.
                let items = try await transaction.query("""
                    SELECT v.name FROM catalog_items i
                    JOIN catalog_item_versions v ON v.county_id = i.county_id AND v.item_id = i.id AND v.version = i.current_version
                    WHERE v.department_id = \(id) AND i.retired_at IS NULL ORDER BY v.name
                    """).column(String.self)
                if !items.isEmpty {
                    throw Failure.conflict("该部门仍是在办事项的实施部门（\(items.joined(separator: "、"))），请先停止这些事项或改由其他部门实施")
                }
            }
            let row: (UUID, String, String, Bool)?
            do {
                row = try await transaction.query("""
                    UPDATE departments SET name = coalesce(\(name?.trimmingCharacters(in: .whitespacesAndNewlines)), name),
                                           active = coalesce(\(active), active)
                    WHERE id = \(id) RETURNING id, kind::text, name, active
                    """).decode((UUID, String, String, Bool).self).first
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw Failure.conflict("部门名称已存在")
            }
            guard let row else { throw Failure.notFound }
            try await transaction.audit("department_updated", objectType: "department", objectID: id.uuidString.lowercased(),
                                        detail: ["name": name ?? "", "active": active.map { String($0) } ?? ""])
            return Department(id: row.0, kind: row.1, name: row.2, active: row.3)
        }
    }

    // MARK: Users

    public func users(_ context: TenantContext) async throws -> [User] {
        try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                SELECT u.id, u.username, u.display_name, u.org_id, u.department_id, u.active,
                       ARRAY(SELECT g.role::text FROM role_grants g WHERE g.county_id = u.county_id AND g.user_id = u.id ORDER BY 1)
                FROM users u ORDER BY u.username
                """).decode((UUID, String, String, UUID, UUID?, Bool, [String]).self).map(Self.user)
        }
    }

    public func createUser(
        _ context: TenantContext, username: String, displayName: String, password: String,
        orgID: UUID, departmentID: UUID?, roles: Set<Role>
    ) async throws -> User {
        try requireManager(context)
        guard username.range(of: "^[a-z0-9_.-]{3,64}$", options: .regularExpression) != nil else {
            throw Failure.invalid("用户名应为3–64位小写字母、数字或 _ . -")
        }
        let displayName = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(displayName.count) else { throw Failure.invalid("姓名应为1–100个字符") }
        if let problem = SignInPolicy.problem(withNewPassword: password) { throw Failure.invalid(problem) }
        guard !roles.isEmpty else { throw Failure.invalid("至少授予一个角色") }
        let hash = await Accounts.offload { Accounts.hashPassword(password) }
        return try await store.withTenant(context) { transaction in
            let id = UUID()
            do {
                try await transaction.execute("""
                    INSERT INTO users (county_id, id, username, display_name, password_hash, org_id, department_id)
                    VALUES (\(context.countyID), \(id), \(username), \(displayName), \(hash), \(orgID), \(departmentID))
                    """)
                for role in roles {
                    try await transaction.execute("""
                        INSERT INTO role_grants (county_id, user_id, role, granted_by)
                        VALUES (\(context.countyID), \(id), \(role.rawValue)::app_role, \(context.userID))
                        """)
                }
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw Failure.conflict("用户名 \(username) 已存在")
            } catch let error as PostgresServerError where error.code == .foreignKeyViolation {
                throw Failure.invalid("所属机构或部门不存在")
            }
            try await Self.checkSeat(of: id, placeChanged: true, in: transaction)
            try await transaction.audit("user_created", objectType: "user", objectID: id.uuidString.lowercased(),
                                        detail: ["username": username, "roles": roles.map(\.rawValue).sorted().joined(separator: ",")])
            return User(id: id, username: username, displayName: displayName, orgID: orgID, departmentID: departmentID,
                        active: true, roles: roles.sorted { $0.rawValue < $1.rawValue })
        }
    }

    /// Changes a user's name, org, department, active flag or roles (the whole set).
    public func updateUser(
        _ context: TenantContext, id: UUID, displayName: String?, orgID: UUID?, departmentID: UUID??,
        active: Bool?, roles: Set<Role>?
    ) async throws -> User {
        try requireManager(context)
        if let displayName, !(1...100).contains(displayName.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            throw Failure.invalid("姓名应为1–100个字符")
        }
        if let roles, roles.isEmpty { throw Failure.invalid("至少授予一个角色") }
        if id == context.userID, active == false || (roles.map { !$0.contains(.centerManager) } ?? false) {
            throw Failure.invalid("不能停用自己的账号或取消自己的管理员角色")
        }
        return try await store.withTenant(context) { transaction in
            let changeDepartment = departmentID != nil
            let updated: Int
            do {
                updated = try await transaction.execute("""
                    UPDATE users SET display_name = coalesce(\(displayName?.trimmingCharacters(in: .whitespacesAndNewlines)), display_name),
                                     org_id = coalesce(\(orgID), org_id),
                                     department_id = CASE WHEN \(changeDepartment) THEN \(departmentID ?? nil) ELSE department_id END,
                                     active = coalesce(\(active), active)
                    WHERE id = \(id)
                    """)
            } catch let error as PostgresServerError where error.code == .foreignKeyViolation {
                throw Failure.invalid("所属机构或部门不存在")
            }
            guard updated == 1 else { throw Failure.notFound }
            if let roles {
                try await transaction.execute("DELETE FROM role_grants WHERE user_id = \(id) AND NOT (role::text = ANY(\(roles.map(\.rawValue))))")
                for role in roles {
                    try await transaction.execute("""
                        INSERT INTO role_grants (county_id, user_id, role, granted_by)
                        VALUES (\(context.countyID), \(id), \(role.rawValue)::app_role, \(context.userID)) ON CONFLICT DO NOTHING
                        """)
                }
            }
            try await Self.checkSeat(of: id, placeChanged: orgID != nil || changeDepartment || active == true, in: transaction)
            if active == false {
                try await transaction.execute("UPDATE credentials SET revoked_at = now() WHERE user_id = \(id) AND revoked_at IS NULL")
            }
            try await transaction.audit("user_updated", objectType: "user", objectID: id.uuidString.lowercased(), detail: [
                "active": active.map { String($0) } ?? "", "roles": roles.map { $0.map(\.rawValue).sorted().joined(separator: ",") } ?? "",
            ])
            return try await transaction.query("""
                SELECT u.id, u.username, u.display_name, u.org_id, u.department_id, u.active,
                       ARRAY(SELECT g.role::text FROM role_grants g WHERE g.county_id = u.county_id AND g.user_id = u.id ORDER BY 1)
                FROM users u WHERE u.id = \(id)
                """).decode((UUID, String, String, UUID, UUID?, Bool, [String]).self).first.map(Self.user)!
        }
    }

    /// Refuses (rolling the change back) roles the user, as written, cannot hold where they
    /// sit, and a seat (`placeChanged`) in an org or department that is no longer active.
    private static func checkSeat(of userID: UUID, placeChanged: Bool, in transaction: TenantTransaction) async throws {
        if placeChanged {
            // Held until commit: a deactivation of the org or department waits, then sees the user.
            _ = try await transaction.query("""
                SELECT 1 FROM orgs WHERE id = (SELECT org_id FROM users WHERE id = \(userID)) FOR SHARE
                """)
            _ = try await transaction.query("""
                SELECT 1 FROM departments WHERE id = (SELECT department_id FROM users WHERE id = \(userID)) FOR SHARE
                """)
        }
        guard let (tier, kind, roles, orgActive, departmentActive) = try await transaction.query("""
            SELECT o.tier::text, d.kind::text,
                   ARRAY(SELECT g.role::text FROM role_grants g WHERE g.county_id = u.county_id AND g.user_id = u.id),
                   o.active, coalesce(d.active, true)
            FROM users u JOIN orgs o ON o.county_id = u.county_id AND o.id = u.org_id
            LEFT JOIN departments d ON d.county_id = u.county_id AND d.id = u.department_id
            WHERE u.id = \(userID)
            """).decode((String, String?, [String], Bool, Bool).self).first, let tier = OrgTier(rawValue: tier) else { throw Failure.notFound }
        if placeChanged, !orgActive || !departmentActive { throw Failure.invalid("所属机构或部门已停用") }
        if let problem = Role.seatingProblem(Set(roles.compactMap(Role.init(rawValue:))), tier: tier,
                                             departmentKind: kind.flatMap(Role.DepartmentKind.init(rawValue:))) {
            throw Failure.invalid(problem)
        }
    }

    private func requireManager(_ context: TenantContext) throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以修改配置。")
    }

    private static func org(_ row: (UUID, String, String, String, UUID?, String, Bool)) -> Org {
        Org(id: row.0, tier: OrgTier(rawValue: row.1) ?? .village, divisionCode: row.2, name: row.3, parentID: row.4,
            path: row.5, active: row.6)
    }

    private static func user(_ row: (UUID, String, String, UUID, UUID?, Bool, [String])) -> User {
        User(id: row.0, username: row.1, displayName: row.2, orgID: row.3, departmentID: row.4, active: row.5,
             roles: row.6.compactMap(Role.init(rawValue:)))
    }
}
