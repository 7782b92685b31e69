/// A mainland resident identity card number, checked by GB 11643-1999
/// (../shared/reference/policy.md): 6-digit area code, 8-digit birth date, 3-digit sequence
/// (odd for men), and a check character computed from the first 17.
public struct ResidentIDNumber: Hashable, Sendable, CustomStringConvertible {
    /// The 18 characters, with a final `x` upper-cased.
    public let value: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case wrongLength(Int)
        case notDigits
        case invalidAreaCode
        case invalidBirthDate
        case checkCharacterMismatch(expected: Character)

        /// Why the number is refused, for the person typing it.
        public var description: String {
            switch self {
            case .wrongLength(let count): "身份证号码应为18位，当前为\(count)位"
            case .notDigits: "身份证号码前17位应为数字，最后一位为数字或X"
            case .invalidAreaCode: "身份证号码的地区码无效"
            case .invalidBirthDate: "身份证号码中的出生日期无效"
            case .checkCharacterMismatch: "身份证号码校验位不正确，请核对后重新输入"
            }
        }
    }

    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// Validates `text` (surrounding spaces ignored). `today` bounds the birth date.
    public init(_ text: String, today: (year: Int, month: Int, day: Int)? = nil) throws(Problem) {
        let characters = Array(text.trimmingSpaces().uppercased())
        guard characters.count == 18 else { throw .wrongLength(characters.count) }
        var digits: [Int] = []
        for character in characters.prefix(17) {
            guard let digit = character.wholeNumberValue, character.isASCII else { throw .notDigits }
            digits.append(digit)
        }
        let last = characters[17]
        guard last == "X" || (last.isASCII && last.wholeNumberValue != nil) else { throw .notDigits }
        guard digits[0] != 0, digits[0...1] != [0, 0] else { throw .invalidAreaCode }
        let year = digits[6...9].reduce(0) { $0 * 10 + $1 }
        let month = digits[10...11].reduce(0) { $0 * 10 + $1 }
        let day = digits[12...13].reduce(0) { $0 * 10 + $1 }
        guard year >= 1900, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else {
            throw .invalidBirthDate
        }
        if let today, (year, month, day) > today { throw .invalidBirthDate }
        let sum = zip(digits, Self.weights).reduce(0) { $0 + $1.0 * $1.1 }
        let expected = Self.checkCharacters[sum % 11]
        guard last == expected else { throw .checkCharacterMismatch(expected: expected) }
        value = String(characters)
        birthDate = (year, month, day)
        isMale = digits[16] % 2 == 1
    }

    public let birthDate: (year: Int, month: Int, day: Int)
    public let isMale: Bool

    /// `3202**********123X`: area prefix and last four only.
    public var masked: String { Masking.idNumber(value) }

    /// Masked: the full number is never printed by accident.
    public var description: String { masked }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    /// Whether the holder is under 18 on `date` (minors are never listed in public notices).
    public func isMinor(on date: (year: Int, month: Int, day: Int)) -> Bool {
        let eighteenth = (birthDate.year + 18, birthDate.month, birthDate.day)
        return (date.year, date.month, date.day) < eighteenth
    }

    /// The check character for the first 17 characters (digits), e.g. to make numbers for a demo.
    public static func checkCharacter(forFirst17 digits: String) -> Character? {
        let values = digits.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
        guard values.count == 17, digits.count == 17 else { return nil }
        return checkCharacters[zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11]
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
