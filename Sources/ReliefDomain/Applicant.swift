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
        // A name is made of letters (and the joining marks of names such as 阿卜杜·艾力), never of
        // invisible characters alone: control and format characters (U+202E, U+FEFF) are refused.
        let hasLetter = name.unicodeScalars.contains { $0.properties.isAlphabetic }
        guard (1...50).contains(name.count), name.unicodeScalars.count <= 50, !hasDigit, hasLetter, !Self.hasInvisible(name) else {
            throw InvalidInput("申请人姓名应为1–50个字符，由文字组成，且不含数字或不可见字符")
        }
        do {
            self.idNumber = try ResidentIDNumber(idNumber, today: today)
        } catch {
            throw InvalidInput(error.description)
        }
        let phone = phone.filter { !$0.isWhitespace }
        guard Self.isPhoneNumber(phone) else { throw InvalidInput("联系电话应为11位手机号码或带区号的固定电话") }
        let address = address?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let address, address.count > 200 || Self.hasInvisible(address) { throw InvalidInput("住址不能超过200个字符，且不能含不可见字符") }
        self.name = name
        self.phone = phone
        self.address = address?.isEmpty == true ? nil : address
    }

    /// Control characters (NUL, line breaks, escapes) and format characters (direction
    /// overrides, zero-width marks), which no name or address needs and which can hide text.
    static func hasInvisible(_ text: String) -> Bool {
        text.unicodeScalars.contains { [.control, .format].contains($0.properties.generalCategory) }
    }

    static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.filter { $0 != "-" }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), text.first != "-", text.last != "-" else { return false }
        if digits.count == 11, digits.first == "1" { return true }
        return text.first == "0" && (10...12).contains(digits.count)
    }
}
