import Foundation
import Postgres
import ReliefDomain

/// What `file_applications()` (sql/migrations/0017) takes and answers: one row per
/// application, filed alone or in a group.
extension Intake {
    /// One application ready to file: its personal data sealed and masked, its look-up hash
    /// and its query code's digest. Nothing in it is readable without the cipher's keys.
    struct SealedApplication: Sendable {
        var caseID: UUID
        var itemID: UUID?
        var itemCode: String?
        var placeID: UUID?
        var placeCode: String?
        var description: String
        var greenChannelReason: String?
        var name: Data
        var idNumber: Data
        var phone: Data
        var address: Data?
        var nameMasked: String
        var idNumberMasked: String
        var phoneMasked: String
        var lookup: Data
        var birthDate: CalendarDate?
        var queryCodeHash: Data
        var hotlineOrderNumber: String?
    }

    /// Who files a group: its channel and, at a window, the window and the clerk; the
    /// channels act as nobody and carry a label (网上申请, 12345热线) instead.
    struct Filer: Sendable {
        var channel: IntakeChannel
        var windowID: UUID? = nil
        var userID: UUID? = nil
        var label: String? = nil
    }

    /// How one application of a group ended: filed, or refused for its item or its place.
    struct FilingOutcome: Sendable {
        var caseID: UUID
        var refusal: String?
        var caseNumber: String?
        var submittedAt: Date
        var itemName: String?
        var possibleDuplicateOf: UUID?
    }

    func seal(_ application: Application, caseID: UUID, countyID: UUID, queryCode: String, hotlineOrder: String?) throws -> SealedApplication {
        let applicant = application.applicant
        let seal = { (value: String, field: String) in try cipher.seal(value, countyID: countyID, field: "applicant." + field) }
        let (itemID, itemCode): (UUID?, String?) = switch application.item {
        case .id(let id): (id, nil)
        case .code(let code): (nil, code)
        }
        let (placeID, placeCode) = application.place.columns
        let birth = applicant.idNumber.birthDate
        return SealedApplication(
            caseID: caseID, itemID: itemID, itemCode: itemCode, placeID: placeID, placeCode: placeCode,
            description: application.description, greenChannelReason: application.greenChannelReason,
            name: try seal(applicant.name, "name"), idNumber: try seal(applicant.idNumber.value, "id_number"),
            phone: try seal(applicant.phone, "phone"), address: try applicant.address.map { try seal($0, "address") },
            nameMasked: Masking.name(applicant.name), idNumberMasked: applicant.idNumber.masked,
            phoneMasked: Masking.phone(applicant.phone),
            lookup: cipher.lookupHash(applicant.idNumber.value, countyID: countyID, field: "applicant.id_number"),
            birthDate: CalendarDate(year: birth.year, month: birth.month, day: birth.day),
            queryCodeHash: QueryCodeHash.digest(of: queryCode), hotlineOrderNumber: hotlineOrder)
    }

    /// The statement that files `group`: each case in `submitted` with its opening event.
    static func filingStatement(_ filer: Filer, _ group: [SealedApplication]) -> PostgresQuery {
        """
        SELECT * FROM file_applications(
            \(filer.channel.rawValue)::intake_channel, \(filer.windowID), \(filer.userID), \(filer.label),
            \(group.map(\.caseID)), \(group.map(\.itemID)), \(group.map(\.itemCode)), \(group.map(\.placeID)),
            \(group.map(\.placeCode)), \(group.map(\.description)), \(group.map(\.greenChannelReason)),
            \(group.map(\.name)), \(group.map(\.idNumber)), \(group.map(\.phone)), \(group.map(\.address)),
            \(group.map(\.nameMasked)), \(group.map(\.idNumberMasked)), \(group.map(\.phoneMasked)),
            \(group.map(\.lookup)), \(group.map(\.birthDate)), \(group.map(\.queryCodeHash)), \(group.map(\.hotlineOrderNumber)))
        """
    }

    /// The statement's answer, a row per application in the group's order.
    static func outcomes(of result: PostgresResult) throws -> [FilingOutcome] {
        try result.decode((UUID, String?, String?, Date, String?, UUID?).self).map {
            FilingOutcome(caseID: $0.0, refusal: $0.1, caseNumber: $0.2, submittedAt: $0.3, itemName: $0.4, possibleDuplicateOf: $0.5)
        }
    }

    /// The receipt of a filed application, or the clear refusal of one that was not filed.
    static func receipt(_ outcome: FilingOutcome, queryCode: String) throws -> Receipt {
        switch outcome.refusal {
        case "RLI01": throw StoreFailure.invalid("申请事项不存在或已停止受理")
        case "RLI02": throw StoreFailure.invalid("所在村（社区）或乡镇（街道）不存在")
        case let refusal?: throw StoreFailure.invalid("申请未能受理（\(refusal)）")
        case nil: break
        }
        guard let caseNumber = outcome.caseNumber, let itemName = outcome.itemName else {
            throw StoreFailure.invalid("申请未能受理")
        }
        return Receipt(caseID: outcome.caseID, caseNumber: caseNumber, queryCode: queryCode, itemName: itemName,
                       submittedAt: outcome.submittedAt, possibleDuplicateOf: outcome.possibleDuplicateOf, created: true)
    }
}
