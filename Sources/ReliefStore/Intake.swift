import Foundation
import Postgres
import ReliefDomain

/// How applications arrive (§5.1): registered by staff at a window, filed by citizens online,
/// or pushed by the 12345 platform. Each creates a case in `submitted` with the opening event
/// on its timeline and answers a receipt with the case number and the applicant's query code.
public struct Intake: Sendable {
    public let store: Store
    public let cipher: PersonalDataCipher
    /// Online applications filed together under load; keep one `Intake` for the process so
    /// all of them meet here.
    private let onlineGroups: FilingGroups<SealedApplication, FilingOutcome>

    public init(store: Store, cipher: PersonalDataCipher) {
        self.store = store
        self.cipher = cipher
        self.onlineGroups = FilingGroups(refileAloneAfter: Self.mayBelongToOneApplication) { [store] countyID, group in
            let statement = Self.filingStatement(Filer(channel: .online, label: IntakeChannel.online.title), group)
            return try Self.outcomes(of: try await store.runAsChannel(.online, countyID: countyID, statement))
        }
    }

    /// Where the applicant lives: their village (or township), which decides who below the
    /// county sees the case.
    public enum Place: Sendable, Equatable {
        case org(UUID)
        /// A 12-digit division code, as citizens and the 12345 platform know it.
        case divisionCode(String)

        /// The place as the two nullable columns the statements take it in.
        var columns: (orgID: UUID?, divisionCode: String?) {
            switch self {
            case .org(let id): (id, nil)
            case .divisionCode(let code): (nil, code)
            }
        }
    }

    public enum Item: Sendable, Equatable {
        case id(UUID)
        case code(String)
    }

    public struct Application: Sendable {
        public var applicant: Applicant
        public var item: Item
        public var place: Place
        public var description: String
        /// Set for the green channel (§6.3.5): elderly, disabled, pregnant, minors, emergency.
        public var greenChannelReason: String?

        public init(applicant: Applicant, item: Item, place: Place, description: String, greenChannelReason: String? = nil) {
            self.applicant = applicant
            self.item = item
            self.place = place
            self.description = description
            self.greenChannelReason = greenChannelReason
        }
    }

    public struct Receipt: Sendable, Equatable {
        public let caseID: UUID
        public let caseNumber: String
        /// What the applicant keeps to follow the case; nil only for a repeated online form.
        public let queryCode: String?
        public let itemName: String
        public let submittedAt: Date
        /// An open case of the same applicant for the same item: flagged for the agent, not merged.
        public let possibleDuplicateOf: UUID?
        /// False when a repeated 12345 push found the case its order made before.
        public let created: Bool
    }

    // MARK: The three channels

    /// Registration by staff at a county, township or village window (§5.1.1).
    public func register(_ context: TenantContext, windowID: UUID, application: Application) async throws -> Receipt {
        try context.require(anyOf: [.centerManager, .centerAgent, .townshipAgent, .villageAgent],
                            "只有救助中心和乡镇（街道）、村（社区）经办人员可以在窗口登记申请。")
        let application = try validated(application)
        return try await store.withTenant(context) { transaction in
            guard let window = try await ServiceWindows.window(in: transaction, id: windowID), window.active else {
                throw StoreFailure.invalid("受理窗口不存在或已停用")
            }
            // A window takes the items it lists; one that lists none is a comprehensive window
            // (综合窗口, §6.1.4), which takes every item.
            if case .id(let itemID) = application.item, !window.itemIDs.isEmpty, !window.itemIDs.contains(itemID) {
                throw StoreFailure.invalid("该窗口不受理此事项，请到受理该事项的窗口登记")
            }
            // Township and village staff register at their own service center's windows, for
            // applicants of their own area: the case belongs to the applicant's place, and
            // row-level security lets them file cases of their own org's area only.
            if context.roles.isDisjoint(with: [.centerManager, .centerAgent]) {
                guard try await transaction.query("""
                    SELECT 1 FROM orgs WHERE id = \(window.orgID) AND path <@ \(context.orgPath)::ltree
                    """).count == 1 else { throw StoreFailure.invalid("只能在本机构的窗口登记申请") }
                try await requirePlace(application.place, within: context, in: transaction)
            }
            let receipt = try await file(in: transaction, countyID: context.countyID, application: application,
                                         by: Filer(channel: .window, windowID: windowID, userID: context.userID),
                                         queryCode: QueryCode.generate(), hotlineOrder: nil)
            try await transaction.audit("case_registered", objectType: "case", objectID: receipt.caseID.uuidString.lowercased(),
                                        detail: ["case_number": receipt.caseNumber, "window_id": windowID.uuidString.lowercased()])
            return receipt
        }
    }

    /// An application filed by the citizen online (§5.1.2), without an account. Those that
    /// arrive together are filed together (`FilingGroups`), each group in one statement sent
    /// with its context in a single round trip.
    public func applyOnline(countyID: UUID, application: Application) async throws -> Receipt {
        let application = try validated(application)
        let queryCode = QueryCode.generate()
        let sealed = try seal(application, caseID: UUID(), countyID: countyID, queryCode: queryCode, hotlineOrder: nil)
        return try Self.receipt(try await onlineGroups.file(sealed, countyID: countyID), queryCode: queryCode)
    }

    /// An order pushed by the 12345 platform (§5.1.3), whose signature the caller has checked.
    /// Idempotent on the order number: a repeated push answers the same case and the same
    /// query code (derived from the order, so it can be answered again) and creates nothing.
    public func receiveHotlineOrder(countyID: UUID, orderNumber: String, application: Application) async throws -> Receipt {
        let orderNumber = orderNumber.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(orderNumber.count), orderNumber.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw StoreFailure.invalid("工单编号应为1–64位字母、数字、连字符或下划线")
        }
        let application = try validated(application)
        let queryCode = hotlineQueryCode(countyID: countyID, orderNumber: orderNumber)
        for attempt in 0..<2 {
            do {
                return try await store.withChannel(.hotline, countyID: countyID) { transaction in
                    if let existing = try await existingOrder(in: transaction, orderNumber: orderNumber, queryCode: queryCode,
                                                              countyID: countyID, application: application) {
                        return existing
                    }
                    return try await file(in: transaction, countyID: countyID, application: application,
                                          by: Filer(channel: .hotline, label: IntakeChannel.hotline.title),
                                          queryCode: queryCode, hotlineOrder: orderNumber)
                }
            } catch let error as PostgresServerError where error.code == .uniqueViolation && attempt == 0 {
                // A concurrent push of the same order won; the next attempt finds its case.
                continue
            }
        }
        throw StoreFailure.conflict("同一工单正在被重复推送，请稍后重试")
    }

    /// Refuses a place outside the agent's area with 403; an unknown place is left to filing,
    /// which refuses it as unknown.
    private func requirePlace(_ place: Place, within context: TenantContext, in transaction: TenantTransaction) async throws {
        let (id, code) = place.columns
        let inArea = try await transaction.query("""
            SELECT path <@ \(context.orgPath)::ltree FROM orgs
            WHERE id = coalesce(\(id), id) AND division_code = coalesce(\(code), division_code)
            """).decode(Bool.self)
        if inArea.first == false {
            throw StoreFailure.forbidden("只能为本机构辖区内的申请人登记申请：申请人所在地不在您的辖区内")
        }
    }

    // MARK: Filing

    /// Errors one application of a group can cause: data the database refused (SQLSTATE
    /// classes 22 and 23) or text it cannot carry. Anything else is the group's, not one
    /// application's.
    static func mayBelongToOneApplication(_ error: any Error) -> Bool {
        if let error = error as? PostgresServerError { return ["22", "23"].contains(error.code.errorClass) }
        if case PostgresError.nulInText = error { return true }
        return false
    }

    /// The application with its texts trimmed, as it is filed; refuses here whatever the
    /// database would refuse, so that an application filed in a group never fails the group:
    /// the database counts code points, not characters, and takes no NUL.
    private func validated(_ application: Application) throws -> Application {
        var application = application
        application.description = application.description.trimmingCharacters(in: .whitespacesAndNewlines)
        application.greenChannelReason = application.greenChannelReason?.trimmingCharacters(in: .whitespacesAndNewlines)
        let description = application.description
        guard (1...2000).contains(description.count), description.unicodeScalars.count <= 4000, !description.contains("\0") else {
            throw StoreFailure.invalid("申请事由应为1–2000个字符，且不能含空字符")
        }
        if let reason = application.greenChannelReason {
            guard (1...500).contains(reason.count), reason.unicodeScalars.count <= 500, !reason.contains("\0") else {
                throw StoreFailure.invalid("绿色通道原因应为1–500个字符，且不能含空字符")
            }
        }
        if case .code(let code) = application.item, code.contains("\0") || code.utf8.count > 100 {
            throw StoreFailure.invalid("申请事项不存在或已停止受理")
        }
        if case .divisionCode(let code) = application.place, !DivisionCode.isWellFormed(code) {
            throw StoreFailure.invalid("所在村（社区）应为12位行政区划代码")
        }
        return application
    }

    /// Files one application in the caller's transaction.
    private func file(
        in transaction: TenantTransaction, countyID: UUID, application: Application, by filer: Filer,
        queryCode: String, hotlineOrder: String?
    ) async throws -> Receipt {
        let sealed = try seal(application, caseID: UUID(), countyID: countyID, queryCode: queryCode, hotlineOrder: hotlineOrder)
        let outcome = try soleOutcome(try Self.outcomes(of: try await transaction.query(Self.filingStatement(filer, [sealed]))))
        return try Self.receipt(outcome, queryCode: queryCode)
    }

    /// The case an order made before, when this push repeats it. The same order number with
    /// anything else (applicant, item, place, request, green channel) is not a repeat: refused
    /// (409), so that the platform learns its second order was not filed.
    private func existingOrder(
        in transaction: TenantTransaction, orderNumber: String, queryCode: String, countyID: UUID, application: Application
    ) async throws -> Receipt? {
        guard let row = try await transaction.query("""
            SELECT c.id, c.case_number, v.name, c.created_at, c.possible_duplicate_of,
                   c.applicant_lookup, i.code, o.division_code, c.description, c.green_channel_reason,
                   c.applicant_name, c.applicant_phone, c.applicant_address
            FROM cases c JOIN catalog_item_versions v ON v.county_id = c.county_id AND v.item_id = c.item_id AND v.version = c.item_version
            JOIN catalog_items i ON i.county_id = c.county_id AND i.id = c.item_id
            JOIN orgs o ON o.county_id = c.county_id AND o.id = c.org_id
            WHERE c.hotline_order_number = \(orderNumber)
            """).decode((UUID, String, String, Date, UUID?, Data?, String, String, String, String?, Data?, Data?, Data?).self)
            .first else { return nil }
        let applicant = application.applicant
        let opened = { (sealed: Data?, field: String) in try sealed.map { try self.cipher.open($0, countyID: countyID, field: "applicant." + field) } }
        let (name, phone, address) = (try opened(row.10, "name"), try opened(row.11, "phone"), try opened(row.12, "address"))
        let same = row.5 == cipher.lookupHash(applicant.idNumber.value, countyID: countyID, field: "applicant.id_number")
            && application.item == .code(row.6) && application.place == .divisionCode(row.7)
            && application.description == row.8 && application.greenChannelReason == row.9
            && name == applicant.name && phone == applicant.phone && address == applicant.address
        guard same else {
            throw StoreFailure.conflict("工单编号 \(orderNumber) 已用于另一份申请（申请人、事项、所在地、诉求或绿色通道不同），未重复受理")
        }
        return Receipt(caseID: row.0, caseNumber: row.1, queryCode: queryCode, itemName: row.2, submittedAt: row.3,
                       possibleDuplicateOf: row.4, created: false)
    }

    /// The query code of a 12345 order: a keyed hash of county and order number in the query
    /// code alphabet, so every answer for the order carries the same code.
    private func hotlineQueryCode(countyID: UUID, orderNumber: String) -> String {
        let digest = cipher.lookupHash(orderNumber, countyID: countyID, field: "hotline.query_code")
        return String(digest.prefix(QueryCode.length).map { QueryCode.alphabet[Int($0) % QueryCode.alphabet.count] })
    }
}
