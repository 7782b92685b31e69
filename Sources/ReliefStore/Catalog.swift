import Foundation
import Postgres
import ReliefDomain

/// The item catalog (事项清单, §6.1.3): what the county offers, who implements it, what to
/// bring and how each material is reviewed. Center managers keep it; every edit is a new
/// version, and a case keeps the version it was filed under.
public struct Catalog: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Item: Sendable, Equatable {
        public let id: UUID
        public let code: String
        public let kind: ReliefKind
        public let version: Int
        /// The newest version; equal to `version` unless an older version was asked for.
        public let currentVersion: Int
        public let departmentID: UUID
        public let departmentName: String
        public let content: ItemContent
        public let retiredAt: Date?
        public let revisedAt: Date
    }

    // MARK: Reading

    /// The catalog's items at their current versions, retired ones only when asked.
    public func items(_ context: TenantContext, includeRetired: Bool = false) async throws -> [Item] {
        try await store.withTenant(context, readOnly: true) { try await Self.items(in: $0, includeRetired: includeRetired) }
    }

    /// The items a citizen may apply for online: current and not retired.
    public func publicItems(countyID: UUID) async throws -> [Item] {
        try await store.withChannel(.online, countyID: countyID) { try await Self.items(in: $0, includeRetired: false) }
    }

    /// One item at its current version, or at `version`.
    public func item(_ context: TenantContext, id: UUID, version: Int? = nil) async throws -> Item {
        try await store.withTenant(context, readOnly: true) { transaction in
            guard let item = try await Self.item(in: transaction, id: id, version: version) else { throw StoreFailure.notFound }
            return item
        }
    }

    static func items(in transaction: TenantTransaction, includeRetired: Bool) async throws -> [Item] {
        try await transaction.query("""
            \(selectItem) AND v.version = i.current_version
            WHERE \(includeRetired) OR i.retired_at IS NULL
            ORDER BY i.kind, i.code
            """).map(Self.item)
    }

    static func item(in transaction: TenantTransaction, id: UUID, version: Int?) async throws -> Item? {
        // Versions are int4: a larger one asked for does not exist (and must not trap).
        if let version, Int32(exactly: version) == nil { return nil }
        return try await transaction.query("""
            \(selectItem) AND v.version = coalesce(\(version.flatMap { Int32(exactly: $0) }), i.current_version)
            WHERE i.id = \(id)
            """).first.map(Self.item)
    }

    private static let selectItem: PostgresQuery = """
        SELECT i.id, i.code, i.kind::text AS kind, v.version, i.current_version, v.department_id, d.name AS department_name,
               v.name, v.target_group, v.process, v.relief_content, v.policy_basis, v.time_limit_days, v.materials,
               i.retired_at, v.created_at
        FROM catalog_items i
        JOIN catalog_item_versions v ON v.county_id = i.county_id AND v.item_id = i.id
        JOIN departments d ON d.county_id = v.county_id AND d.id = v.department_id
        """

    private static func item(_ row: PostgresRow) throws -> Item {
        Item(
            id: try row.decode(column: "id"), code: try row.decode(column: "code"),
            kind: ReliefKind(rawValue: try row.decode(column: "kind")) ?? .temporary,
            version: Int(try row.decode(Int32.self, column: "version")),
            currentVersion: Int(try row.decode(Int32.self, column: "current_version")),
            departmentID: try row.decode(column: "department_id"), departmentName: try row.decode(column: "department_name"),
            content: ItemContent(
                name: try row.decode(column: "name"), targetGroup: try row.decode(column: "target_group"),
                process: try row.decode(column: "process"), reliefContent: try row.decode(column: "relief_content"),
                policyBasis: try row.decode(column: "policy_basis"),
                timeLimitDays: Int(try row.decode(Int32.self, column: "time_limit_days")),
                materials: try row.decode(json: [MaterialRequirement].self, column: "materials")),
            retiredAt: try row.decode(column: "retired_at"), revisedAt: try row.decode(column: "created_at"))
    }

    // MARK: Writing

    /// Adds an item at version 1.
    public func create(_ context: TenantContext, code: String, kind: ReliefKind, departmentID: UUID, content: ItemContent) async throws -> Item {
        try requireManager(context)
        guard code.count >= 2, ItemContent.isValidKey(code) else { throw StoreFailure.invalid("事项代码应为2–40位小写字母、数字、下划线或连字符") }
        if let problem = content.problem { throw StoreFailure.invalid(problem) }
        return try await store.withTenant(context) { transaction in
            let id = UUID()
            do {
                try await transaction.execute("""
                    INSERT INTO catalog_items (county_id, id, code, kind) VALUES (\(context.countyID), \(id), \(code), \(kind.rawValue)::relief_kind)
                    """)
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw StoreFailure.conflict("事项代码 \(code) 已存在")
            }
            try await Self.insertVersion(in: transaction, itemID: id, version: 1, departmentID: departmentID, content: content)
            try await transaction.audit("catalog_item_created", objectType: "catalog_item", objectID: id.uuidString.lowercased(),
                                        detail: ["code": code, "name": content.name])
            return try await Self.item(in: transaction, id: id, version: nil)!
        }
    }

    /// Writes the next version of an item; cases filed before keep theirs.
    public func revise(_ context: TenantContext, id: UUID, departmentID: UUID, content: ItemContent) async throws -> Item {
        try requireManager(context)
        if let problem = content.problem { throw StoreFailure.invalid(problem) }
        return try await store.withTenant(context) { transaction in
            // The row lock orders concurrent revisions: each gets the next number.
            guard let version = try await transaction.query("""
                UPDATE catalog_items SET current_version = current_version + 1 WHERE id = \(id) AND retired_at IS NULL
                RETURNING current_version
                """).scalar(Int32.self) else {
                if try await Self.item(in: transaction, id: id, version: nil) != nil { throw StoreFailure.conflict("事项已停用，不能修改") }
                throw StoreFailure.notFound
            }
            try await Self.insertVersion(in: transaction, itemID: id, version: Int(version), departmentID: departmentID, content: content)
            try await transaction.audit("catalog_item_revised", objectType: "catalog_item", objectID: id.uuidString.lowercased(),
                                        detail: ["version": String(version), "name": content.name])
            return try await Self.item(in: transaction, id: id, version: nil)!
        }
    }

    /// Stops offering an item; its versions stay for the cases filed under them.
    public func retire(_ context: TenantContext, id: UUID) async throws -> Item {
        try requireManager(context)
        return try await store.withTenant(context) { transaction in
            guard try await transaction.execute("""
                UPDATE catalog_items SET retired_at = coalesce(retired_at, now()) WHERE id = \(id)
                """) == 1 else { throw StoreFailure.notFound }
            try await transaction.audit("catalog_item_retired", objectType: "catalog_item", objectID: id.uuidString.lowercased())
            return try await Self.item(in: transaction, id: id, version: nil)!
        }
    }

    private static func insertVersion(in transaction: TenantTransaction, itemID: UUID, version: Int, departmentID: UUID, content: ItemContent) async throws {
        let department = try await transaction.query("""
            SELECT kind::text, active FROM departments WHERE id = \(departmentID)
            """).decode((String, Bool).self).first
        guard let department, department.1 else { throw StoreFailure.invalid("实施部门不存在或已停用") }
        guard department.0 != "relief_center" else { throw StoreFailure.invalid("实施部门应为承办部门或联席会议办公室，不能是救助中心") }
        let trimmed = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
        try await transaction.execute("""
            INSERT INTO catalog_item_versions (county_id, item_id, version, name, department_id, target_group, process,
                                               relief_content, policy_basis, time_limit_days, materials, created_by)
            VALUES (current_setting('app.county_id')::uuid, \(itemID), \(Int32(version)), \(trimmed(content.name)), \(departmentID),
                    \(trimmed(content.targetGroup)), \(trimmed(content.process)), \(trimmed(content.reliefContent)),
                    \(trimmed(content.policyBasis)), \(Int32(content.timeLimitDays)), \(json: content.materials), \(transaction.context?.userID))
            """)
    }

    /// Seeds the default catalog (`DefaultCatalog`) and the departments it names into a new
    /// county, skipping what exists; runs in the first manager's transaction on the owner's
    /// connection, which may be a superuser's that row-level security does not filter, hence
    /// the explicit county.
    static func seedDefault(in transaction: TenantTransaction) async throws {
        for name in DefaultCatalog.departmentNames {
            try await transaction.execute("""
                INSERT INTO departments (county_id, id, kind, name)
                VALUES (current_setting('app.county_id')::uuid, \(UUID()), 'department', \(name))
                ON CONFLICT DO NOTHING
                """)
        }
        for entry in DefaultCatalog.entries {
            let id = UUID()
            let inserted = try await transaction.execute("""
                INSERT INTO catalog_items (county_id, id, code, kind)
                VALUES (current_setting('app.county_id')::uuid, \(id), \(entry.code), \(entry.kind.rawValue)::relief_kind)
                ON CONFLICT DO NOTHING
                """)
            guard inserted == 1 else { continue }
            let departmentID = try await transaction.query("SELECT id FROM departments WHERE county_id = current_setting('app.county_id')::uuid AND name = \(entry.departmentName)").scalar(UUID.self)!
            try await insertVersion(in: transaction, itemID: id, version: 1, departmentID: departmentID, content: entry.content)
        }
    }

    private func requireManager(_ context: TenantContext) throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以维护事项清单。")
    }
}
