import Foundation

// Text-format encoding and decoding of the scalar types.

extension String: PostgresCodable {
    /// Unspecified, so a string binds to whatever the statement needs there (text, an enum, ltree …).
    public static var postgresType: PostgresType { .unspecified }
    public func encodeText(into buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
    public static func accepts(_ type: PostgresType) -> Bool {
        switch type {
        case .text, .varchar, .bpchar, .name, .char, .unknown, .json, .jsonb, .uuid, .numeric, .date,
             .timestamptz, .timestamp, .time, .interval, .int2, .int4, .int8, .bool, .float4, .float8:
            true
        default:
            type.isUserDefined
        }
    }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> String {
        String(decoding: text, as: UTF8.self)
    }
}

extension Bool: PostgresCodable {
    public static var postgresType: PostgresType { .bool }
    public func encodeText(into buffer: inout [UInt8]) { buffer.append(self ? UInt8(ascii: "t") : UInt8(ascii: "f")) }
    public static func accepts(_ type: PostgresType) -> Bool { type == .bool }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Bool {
        switch text.first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw PostgresDecodingFailure("not a boolean")
        }
    }
}

/// Integers travel as int8 unless their width says otherwise; decoding accepts any narrower
/// integer column and refuses a value that does not fit.
protocol PostgresInteger: FixedWidthInteger, PostgresCodable {
    static var integerType: PostgresType { get }
}

extension PostgresInteger {
    public static var postgresType: PostgresType { integerType }
    /// Writes the digits straight into the buffer, without a String between, and in one
    /// append: this runs for every bound integer.
    public func encodeText(into buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { digits in
            var first = digits.count
            var rest = magnitude
            repeat {
                first -= 1
                digits[first] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            if self < 0 {
                first -= 1
                digits[first] = UInt8(ascii: "-")
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[first...]))
        }
    }
    public static func accepts(_ type: PostgresType) -> Bool {
        switch type {
        case .int2: bitWidth >= 16
        case .int4, .oidType: bitWidth >= 32
        case .int8: bitWidth >= 64
        default: false
        }
    }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Self {
        guard let value = parseInteger(text, as: Self.self) else {
            throw PostgresDecodingFailure("\(String(decoding: text, as: UTF8.self)) is not an integer that fits")
        }
        return value
    }
}

/// Parses ASCII digits with an optional leading minus, refusing overflow.
func parseInteger<T: FixedWidthInteger>(_ text: UnsafeBufferPointer<UInt8>, as: T.Type) -> T? {
    var index = 0
    var negative = false
    if text.first == UInt8(ascii: "-") {
        negative = true
        index = 1
    }
    guard index < text.count else { return nil }
    var value: T = 0
    while index < text.count {
        let digit = text[index] &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (next, overflow2) = negative
            ? shifted.subtractingReportingOverflow(T(digit))
            : shifted.addingReportingOverflow(T(digit))
        guard !overflow1, !overflow2 else { return nil }
        value = next
        index += 1
    }
    return value
}

extension Int: PostgresInteger { static var integerType: PostgresType { .int8 } }
extension Int64: PostgresInteger { static var integerType: PostgresType { .int8 } }
extension Int32: PostgresInteger { static var integerType: PostgresType { .int4 } }
extension Int16: PostgresInteger { static var integerType: PostgresType { .int2 } }

extension Double: PostgresCodable {
    public static var postgresType: PostgresType { .float8 }
    public func encodeText(into buffer: inout [UInt8]) {
        let text = isNaN ? "NaN" : isInfinite ? (self < 0 ? "-Infinity" : "Infinity") : description
        buffer.append(contentsOf: text.utf8)
    }
    public static func accepts(_ type: PostgresType) -> Bool {
        [.float8, .float4, .int2, .int4, .numeric].contains(type)
    }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Double {
        guard let value = Double(String(decoding: text, as: UTF8.self)) else {
            throw PostgresDecodingFailure("not a number")
        }
        return value
    }
}

extension Decimal: PostgresCodable {
    public static var postgresType: PostgresType { .numeric }
    public func encodeText(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: (isNaN ? "NaN" : description).utf8)
    }
    public static func accepts(_ type: PostgresType) -> Bool {
        [.numeric, .int2, .int4, .int8].contains(type)
    }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Decimal {
        let string = String(decoding: text, as: UTF8.self)
        if string == "NaN" { return .nan }
        guard let value = Decimal(string: string, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PostgresDecodingFailure("not a decimal number Foundation can hold")
        }
        return value
    }
}

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public func encodeText(into buffer: inout [UInt8]) { buffer.append(contentsOf: uuidString.utf8) }
    public static func accepts(_ type: PostgresType) -> Bool { type == .uuid || type == .text || type == .varchar }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> UUID {
        guard let value = UUID(uuidString: String(decoding: text, as: UTF8.self)) else {
            throw PostgresDecodingFailure("not a UUID")
        }
        return value
    }
}

extension Data: PostgresCodable {
    public static var postgresType: PostgresType { .bytea }
    /// Sent in binary: no hex doubling for large documents.
    public var binaryEncoding: [UInt8]? { [UInt8](self) }
    /// The hex form, used inside arrays and COPY.
    public func encodeText(into buffer: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        buffer.reserveCapacity(buffer.count + 2 + count * 2)
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "x"))
        for byte in self {
            buffer.append(digits[Int(byte >> 4)])
            buffer.append(digits[Int(byte & 0x0f)])
        }
    }
    public static func accepts(_ type: PostgresType) -> Bool { type == .bytea }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Data {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else {
            throw PostgresDecodingFailure("not bytea in hex format")
        }
        var data = Data(capacity: (text.count - 2) / 2)
        var index = 2
        while index < text.count {
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else {
                throw PostgresDecodingFailure("not bytea in hex format")
            }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// A value stored as `jsonb`, encoded and decoded with Foundation's JSON coders.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresCodable {
    public var value: Value

    public init(_ value: Value) { self.value = value }

    public static var postgresType: PostgresType { .jsonb }
    public func encodeText(into buffer: inout [UInt8]) { encodeJSON(value, into: &buffer) }
    public static func accepts(_ type: PostgresType) -> Bool { type == .jsonb || type == .json || type == .text }
    public static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> PostgresJSON<Value> {
        do {
            return PostgresJSON(try JSONDecoder().decode(Value.self, from: Data(buffer: text)))
        } catch {
            throw PostgresDecodingFailure("JSON does not decode: \(error)")
        }
    }
}

/// The encoding half of `PostgresJSON`, for `\(json:)` values that are only `Encodable`.
struct PostgresEncodableJSON<Value: Encodable & Sendable>: PostgresEncodable {
    var value: Value
    static var postgresType: PostgresType { .jsonb }
    func encodeText(into buffer: inout [UInt8]) { encodeJSON(value, into: &buffer) }
}

private func encodeJSON<Value: Encodable>(_ value: Value, into buffer: inout [UInt8]) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding only fails for non-finite floating-point numbers, which JSON cannot hold.
    buffer.append(contentsOf: (try? encoder.encode(value)) ?? Data("null".utf8))
}
