import Foundation

/// Input a rule refused, with why in words for the person who typed it.
public struct InvalidInput: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The person applying for relief, as an intake records them: checked once here, then
/// sealed by the store (GB/T 37973).
public struct Applicant: Sendable, Equatable {
    public let name: String
    public let idNumber: ResidentIDNumber
    /// A mobile (11 digits starting with 1) or a landline with area code.
    public let phone: String
    public let address: String?

    public init(name: String, idNumber: String, phone: String, address: String?, today: (year: Int, month: Int, day: Int)? = nil) throws(InvalidInput) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        // Digits are refused, but not Chinese numerals: 张三 and 王五 are names.
        let hasDigit = name.unicodeScalars.contains { $0.properties.generalCategory == .decimalNumber }
        // At most 50 code points too: the database counts those, and the case title holds the name masked.
        guard (1...50).contains(name.count), name.unicodeScalars.count <= 50, !hasDigit, !name.contains(where: { $0.isNewline || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) else {
            throw InvalidInput("申请人姓名应为1–50个字符，且不含数字")
        }
        do {
            self.idNumber = try ResidentIDNumber(idNumber, today: today)
        } catch {
            throw InvalidInput(error.description)
        }
        let phone = phone.filter { !$0.isWhitespace }
        guard Self.isPhoneNumber(phone) else { throw InvalidInput("联系电话应为11位手机号码或带区号的固定电话") }
        let address = address?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let address, address.count > 200 { throw InvalidInput("住址不能超过200个字符") }
        self.name = name
        self.phone = phone
        self.address = address?.isEmpty == true ? nil : address
    }

    static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.filter { $0 != "-" }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), text.first != "-", text.last != "-" else { return false }
        if digits.count == 11, digits.first == "1" { return true }
        return text.first == "0" && (10...12).contains(digits.count)
    }
}
