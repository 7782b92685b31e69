import Crypto
import Foundation
import Postgres
import ReliefDomain

/// The case's materials archive (§6.1.2.2): PDF, JPEG and PNG files judged by their bytes,
/// at most 20 MB, kept with their SHA-256 in PostgreSQL beside the case, each reviewed
/// against its item's review standard (§6.1.3.2). Every upload, download and review is audited.
public struct Materials: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public enum Review: String, Sendable, CaseIterable {
        case pending
        case accepted
        /// 需补正: the applicant must bring a corrected material.
        case needsCorrection = "needs_correction"
        case rejected
    }

    public struct Material: Sendable, Equatable {
        public let id: UUID
        public let caseID: UUID
        public let materialKey: String?
        public let fileName: String
        public let mediaType: MaterialFile.MediaType
        public let byteCount: Int
        public let sha256: String
        public let uploadedAt: Date
        public let review: Review
        public let reviewNote: String?
        public let reviewedAt: Date?
    }

    public struct Download: Sendable {
        public let material: Material
        public let content: Data
    }

    public func upload(_ context: TenantContext, caseID: UUID, fileName: String?, materialKey: String?, content: Data) async throws -> Material {
        try context.require(anyOf: Role.writers, "审计员不能上传材料。")
        guard !content.isEmpty else { throw StoreFailure.invalid("文件为空") }
        guard content.count <= MaterialFile.maximumBytes else { throw StoreFailure.invalid("文件不能超过20 MB") }
        guard let type = MaterialFile.mediaType(of: content) else {
            throw StoreFailure.invalid("只接受完整的 PDF、JPEG 和 PNG 文件（按文件内容判断，而非文件名）")
        }
        if let materialKey, !ItemContent.isValidKey(materialKey) { throw StoreFailure.invalid("materialKey 格式不正确") }
        let name = MaterialFile.safeName(fileName, type: type)
        let digest = Data(SHA256.hash(data: content))
        return try await store.withTenant(context) { transaction in
            guard let materials = try await transaction.query("""
                SELECT v.materials FROM cases c
                LEFT JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
                WHERE c.id = \(caseID)
                """).first else { throw StoreFailure.notFound }
            if let materialKey {
                let required = try materials.decode(PostgresJSON<[MaterialRequirement]>?.self, at: 0)?.value ?? []
                guard required.contains(where: { $0.key == materialKey }) else {
                    throw StoreFailure.invalid("本事项没有标识为 \(materialKey) 的材料")
                }
            }
            let id = UUID()
            try await transaction.execute("""
                INSERT INTO case_materials (county_id, id, case_id, material_key, file_name, media_type, byte_count, sha256, content, uploaded_by)
                VALUES (\(context.countyID), \(id), \(caseID), \(materialKey), \(name), \(type.rawValue), \(Int32(content.count)),
                        \(digest), \(content), \(context.userID))
                """)
            try await transaction.audit("material_uploaded", objectType: "case_material", objectID: id.uuidString.lowercased(),
                                        detail: ["case_id": caseID.uuidString.lowercased(), "sha256": digest.hexEncoded])
            try await CaseTimeline.append(in: transaction, caseID: caseID, action: "material_uploaded", from: nil, to: nil,
                                          actor: .init(userID: context.userID, label: nil), reason: nil, visibleToApplicant: false,
                                          detail: ["material_id": id.uuidString.lowercased(), "file_name": name])
            return try await Self.material(in: transaction, caseID: caseID, id: id)!
        }
    }

    public func list(_ context: TenantContext, caseID: UUID) async throws -> [Material] {
        try await store.withTenant(context) { transaction in
            guard try await transaction.query("SELECT 1 FROM cases WHERE id = \(caseID)").count == 1 else { throw StoreFailure.notFound }
            let materials = try await transaction.query("\(Self.selectMaterial) WHERE case_id = \(caseID) ORDER BY uploaded_at, id")
                .map(Self.material)
            try await transaction.audit("materials_listed", objectType: "case", objectID: caseID.uuidString.lowercased())
            return materials
        }
    }

    /// A material's bytes: scans of id cards, income proofs. Personal data unmasked, so only for
    /// the roles that may reveal an applicant's data (not auditors, who read cases masked).
    public func download(_ context: TenantContext, caseID: UUID, id: UUID) async throws -> Download {
        try context.require(anyOf: Cases.mayReveal, "您的角色只能查看脱敏后的信息，不能下载申请材料原件。")
        return try await store.withTenant(context) { transaction in
            guard let row = try await transaction.query("""
                SELECT \(Self.materialColumns), content FROM case_materials WHERE case_id = \(caseID) AND id = \(id)
                """).first else { throw StoreFailure.notFound }
            try await transaction.audit("material_downloaded", objectType: "case_material", objectID: id.uuidString.lowercased(),
                                        detail: ["case_id": caseID.uuidString.lowercased()])
            return Download(material: try Self.material(row), content: try row.decode(column: "content"))
        }
    }

    /// Records the review of one material against its review standard.
    public func review(_ context: TenantContext, caseID: UUID, id: UUID, result: Review, note: String?) async throws -> Material {
        try context.require(anyOf: Role.writers, "审计员不能审核材料。")
        guard result != .pending else { throw StoreFailure.invalid("审核结论应为通过、需补正或不通过") }
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let note, note.count > 2000 { throw StoreFailure.invalid("审核意见不能超过2000个字符") }
        if result == .needsCorrection || result == .rejected, (note ?? "").isEmpty {
            throw StoreFailure.invalid("需补正或不通过时应写明审核意见")
        }
        return try await store.withTenant(context) { transaction in
            guard try await transaction.execute("""
                UPDATE case_materials SET review = \(result.rawValue)::material_review, review_note = \(note),
                       reviewed_by = \(context.userID), reviewed_at = now()
                WHERE case_id = \(caseID) AND id = \(id)
                """) == 1 else { throw StoreFailure.notFound }
            try await transaction.audit("material_reviewed", objectType: "case_material", objectID: id.uuidString.lowercased(),
                                        detail: ["case_id": caseID.uuidString.lowercased(), "result": result.rawValue])
            try await CaseTimeline.append(in: transaction, caseID: caseID, action: "material_reviewed", from: nil, to: nil,
                                          actor: .init(userID: context.userID, label: nil), reason: note,
                                          visibleToApplicant: result == .needsCorrection,
                                          detail: ["material_id": id.uuidString.lowercased(), "result": result.rawValue])
            return try await Self.material(in: transaction, caseID: caseID, id: id)!
        }
    }

    private static func material(in transaction: TenantTransaction, caseID: UUID, id: UUID) async throws -> Material? {
        try await transaction.query("\(selectMaterial) WHERE case_id = \(caseID) AND id = \(id)").first.map(material)
    }

    private static let selectMaterial: PostgresQuery = "SELECT \(materialColumns) FROM case_materials"

    private static let materialColumns: PostgresQuery = """
        id, case_id, material_key, file_name, media_type, byte_count, sha256, uploaded_at, review::text AS review,
        review_note, reviewed_at
        """

    private static func material(_ row: PostgresRow) throws -> Material {
        Material(
            id: try row.decode(column: "id"), caseID: try row.decode(column: "case_id"), materialKey: try row.decode(column: "material_key"),
            fileName: try row.decode(column: "file_name"),
            mediaType: MaterialFile.MediaType(rawValue: try row.decode(column: "media_type")) ?? .pdf,
            byteCount: Int(try row.decode(Int32.self, column: "byte_count")), sha256: (try row.decode(Data.self, column: "sha256")).hexEncoded,
            uploadedAt: try row.decode(column: "uploaded_at"), review: Review(rawValue: try row.decode(column: "review")) ?? .pending,
            reviewNote: try row.decode(column: "review_note"), reviewedAt: try row.decode(column: "reviewed_at"))
    }
}
