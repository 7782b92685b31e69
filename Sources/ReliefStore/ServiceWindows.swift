import Foundation
import Postgres
import ReliefDomain

/// Service windows and function areas (§6.1.4) of the county center and the township and
/// village service centers, each with the items it serves. Every window intake names one.
public struct ServiceWindows: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Window: Sendable, Equatable {
        public let id: UUID
        public let orgID: UUID
        public let orgName: String
        public let name: String
        public let functionArea: String
        public let active: Bool
        public let itemIDs: [UUID]
    }

    public func windows(_ context: TenantContext) async throws -> [Window] {
        try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("\(Self.selectWindow) ORDER BY o.path, w.name").map(Self.window)
        }
    }

    public func create(_ context: TenantContext, orgID: UUID, name: String, functionArea: String, itemIDs: [UUID]) async throws -> Window {
        try requireManager(context)
        let (name, functionArea) = try Self.validated(name: name, functionArea: functionArea)
        return try await store.withTenant(context) { transaction in
            guard try await transaction.query("SELECT 1 FROM orgs WHERE id = \(orgID) AND active").count == 1 else {
                throw StoreFailure.invalid("所属机构不存在或已停用")
            }
            let id = UUID()
            do {
                try await transaction.execute("""
                    INSERT INTO service_windows (county_id, id, org_id, name, function_area)
                    VALUES (\(context.countyID), \(id), \(orgID), \(name), \(functionArea))
                    """)
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw StoreFailure.conflict("该机构已有名为“\(name)”的窗口")
            }
            try await Self.setItems(in: transaction, windowID: id, itemIDs: itemIDs)
            try await transaction.audit("window_created", objectType: "service_window", objectID: id.uuidString.lowercased(),
                                        detail: ["name": name, "org_id": orgID.uuidString.lowercased()])
            return try await Self.window(in: transaction, id: id)!
        }
    }

    /// Renames, re-areas, (de)activates a window or replaces the items it serves.
    public func update(_ context: TenantContext, id: UUID, name: String?, functionArea: String?, active: Bool?, itemIDs: [UUID]?) async throws -> Window {
        try requireManager(context)
        let name = try name.map { try Self.validated(name: $0, functionArea: "-").name }
        let functionArea = try functionArea.map { try Self.validated(name: "-", functionArea: $0).functionArea }
        return try await store.withTenant(context) { transaction in
            let updated: Int
            do {
                updated = try await transaction.execute("""
                    UPDATE service_windows SET name = coalesce(\(name), name), function_area = coalesce(\(functionArea), function_area),
                                               active = coalesce(\(active), active)
                    WHERE id = \(id)
                    """)
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw StoreFailure.conflict("该机构已有同名窗口")
            }
            guard updated == 1 else { throw StoreFailure.notFound }
            if let itemIDs {
                try await transaction.execute("DELETE FROM window_items WHERE window_id = \(id)")
                try await Self.setItems(in: transaction, windowID: id, itemIDs: itemIDs)
            }
            try await transaction.audit("window_updated", objectType: "service_window", objectID: id.uuidString.lowercased())
            return try await Self.window(in: transaction, id: id)!
        }
    }

    static func window(in transaction: TenantTransaction, id: UUID) async throws -> Window? {
        try await transaction.query("\(selectWindow) WHERE w.id = \(id)").first.map(window)
    }

    private static func setItems(in transaction: TenantTransaction, windowID: UUID, itemIDs: [UUID]) async throws {
        let wanted = Array(Set(itemIDs))
        guard wanted.count <= 200 else { throw StoreFailure.invalid("一个窗口最多服务200个事项") }
        let inserted = try await transaction.execute("""
            INSERT INTO window_items (county_id, window_id, item_id)
            SELECT current_setting('app.county_id')::uuid, \(windowID), i.id FROM catalog_items i
            WHERE i.id = ANY(\(wanted)) AND i.retired_at IS NULL
            """)
        guard inserted == wanted.count else { throw StoreFailure.invalid("所选事项中有不存在或已停止受理的事项") }
    }

    private static func validated(name: String, functionArea: String) throws -> (name: String, functionArea: String) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let area = functionArea.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw StoreFailure.invalid("窗口名称应为1–100个字符") }
        guard (1...100).contains(area.count) else { throw StoreFailure.invalid("功能区应为1–100个字符") }
        return (name, area)
    }

    private static let selectWindow: PostgresQuery = """
        SELECT w.id, w.org_id, o.name AS org_name, w.name, w.function_area, w.active,
               coalesce(array(SELECT wi.item_id FROM window_items wi WHERE wi.county_id = w.county_id AND wi.window_id = w.id
                              ORDER BY wi.item_id), '{}') AS item_ids
        FROM service_windows w JOIN orgs o ON o.county_id = w.county_id AND o.id = w.org_id
        """

    private static func window(_ row: PostgresRow) throws -> Window {
        Window(id: try row.decode(column: "id"), orgID: try row.decode(column: "org_id"), orgName: try row.decode(column: "org_name"),
               name: try row.decode(column: "name"), functionArea: try row.decode(column: "function_area"),
               active: try row.decode(column: "active"), itemIDs: try row.decode(column: "item_ids"))
    }

    private func requireManager(_ context: TenantContext) throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以设置服务窗口。")
    }
}
