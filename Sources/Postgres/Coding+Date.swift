import Foundation

/// `Date` is a point in time: `timestamptz`. Sessions run with TimeZone UTC and ISO DateStyle
/// (set at connect), so the text form is always `YYYY-MM-DD HH:MM:SS[.ffffff]+00`.
extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }

    public func encodeText(into buffer: inout [UInt8]) {
        let micros = Int((timeIntervalSince1970 * 1_000_000).rounded())
        var days = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 {
            rest += 86_400_000_000
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        let seconds = rest / 1_000_000
        let fraction = rest % 1_000_000
        // PostgreSQL has no year 0: proleptic year 0 is 1 BC.
        let displayYear = year <= 0 ? 1 - year : year
        let yearText = String(displayYear)
        var text = String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText
        text += "-" + twoDigits(month) + "-" + twoDigits(day)
        text += " " + twoDigits(seconds / 3600) + ":" + twoDigits(seconds / 60 % 60) + ":" + twoDigits(seconds % 60)
        if fraction != 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: 6 - digits.count) + digits
        }
        text += "+00"
        if year <= 0 { text += " BC" }
        buffer.append(contentsOf: text.utf8)
    }

    public static func accepts(_ type: PostgresType) -> Bool { type == .timestamptz || type == .timestamp }

    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Date {
        guard let date = parseTimestamp(text) else {
            throw PostgresDecodingFailure("not an ISO timestamp")
        }
        return date
    }
}

private func twoDigits(_ value: Int) -> String { value < 10 ? "0" + String(value) : String(value) }

/// Reads `YYYY-MM-DD HH:MM:SS[.f…][±HH[:MM[:SS]]][ BC]`, or `infinity` / `-infinity`.
func parseTimestamp(_ text: UnsafeBufferPointer<UInt8>) -> Date? {
    let string = String(decoding: text, as: UTF8.self)
    if string == "infinity" { return .distantFuture }
    if string == "-infinity" { return .distantPast }
    var scanner = DigitScanner(bytes: Array(text))
    guard var year = scanner.number(minDigits: 4), scanner.skip("-"),
          let month = scanner.number(minDigits: 2), scanner.skip("-"),
          let day = scanner.number(minDigits: 2), scanner.skip(" ") || scanner.skip("T"),
          let hour = scanner.number(minDigits: 2), scanner.skip(":"),
          let minute = scanner.number(minDigits: 2), scanner.skip(":"),
          let second = scanner.number(minDigits: 2)
    else { return nil }
    var micros = 0
    if scanner.skip(".") {
        var scale = 100_000
        while let digit = scanner.digit() {
            micros += digit * scale
            scale /= 10
        }
    }
    var offsetSeconds = 0
    if let sign = scanner.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
        scanner.index += 1
        guard let hours = scanner.number(minDigits: 2) else { return nil }
        var offset = hours * 3600
        if scanner.skip(":"), let minutes = scanner.number(minDigits: 2) {
            offset += minutes * 60
            if scanner.skip(":"), let seconds = scanner.number(minDigits: 2) { offset += seconds }
        }
        offsetSeconds = sign == UInt8(ascii: "-") ? -offset : offset
    }
    if scanner.skip(" BC") { year = 1 - year }
    guard scanner.atEnd, (1...12).contains(month), (1...31).contains(day) else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
    return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
}

struct DigitScanner {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }
    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func digit() -> Int? {
        guard let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        index += 1
        return Int(byte - UInt8(ascii: "0"))
    }

    mutating func number(minDigits: Int) -> Int? {
        let start = index
        var value = 0
        while let digit = digit() { value = value * 10 + digit }
        return index - start >= minDigits ? value : nil
    }

    mutating func skip(_ literal: String) -> Bool {
        let expected = Array(literal.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else { return false }
        index += expected.count
        return true
    }
}
