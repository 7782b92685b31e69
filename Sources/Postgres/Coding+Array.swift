import Foundation

/// A type whose values can be elements of a PostgreSQL array.
public protocol PostgresArrayElement: PostgresEncodable {
    static var arrayType: PostgresType { get }
}

extension String: PostgresArrayElement { public static var arrayType: PostgresType { .textArray } }
extension Bool: PostgresArrayElement { public static var arrayType: PostgresType { .boolArray } }
extension Int: PostgresArrayElement { public static var arrayType: PostgresType { .int8Array } }
extension Int64: PostgresArrayElement { public static var arrayType: PostgresType { .int8Array } }
extension Int32: PostgresArrayElement { public static var arrayType: PostgresType { .int4Array } }
extension Int16: PostgresArrayElement { public static var arrayType: PostgresType { .int2Array } }
extension Double: PostgresArrayElement { public static var arrayType: PostgresType { .float8Array } }
extension Decimal: PostgresArrayElement { public static var arrayType: PostgresType { .numericArray } }
extension UUID: PostgresArrayElement { public static var arrayType: PostgresType { .uuidArray } }
extension Date: PostgresArrayElement { public static var arrayType: PostgresType { .timestamptzArray } }
extension CalendarDate: PostgresArrayElement { public static var arrayType: PostgresType { .dateArray } }
extension Data: PostgresArrayElement { public static var arrayType: PostgresType { .byteaArray } }
extension PostgresJSON: PostgresArrayElement { public static var arrayType: PostgresType { .jsonbArray } }

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public func encodeText(into buffer: inout [UInt8]) { self?.encodeText(into: &buffer) }
    public var binaryEncoding: [UInt8]? { self?.binaryEncoding }
    public var isNull: Bool { self == nil }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var arrayType: PostgresType { Wrapped.arrayType }
}

/// Arrays travel in PostgreSQL's text form `{"a","b",NULL}`: every element quoted, so no
/// element's text can be read as a delimiter.
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.arrayType }

    public func encodeText(into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        var element: [UInt8] = []
        for (index, value) in enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            if value.isNull {
                buffer.append(contentsOf: "NULL".utf8)
                continue
            }
            element.removeAll(keepingCapacity: true)
            value.encodeText(into: &element)
            buffer.append(UInt8(ascii: "\""))
            for byte in element {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { buffer.append(UInt8(ascii: "\\")) }
                buffer.append(byte)
            }
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: "}"))
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        guard let bytes = cell.bytes else {
            throw PostgresDecodingFailure("the value is NULL; decode an Optional")
        }
        guard let elementType = cell.type.arrayElement ?? (cell.type.isUserDefined ? .unknown : nil) else {
            throw PostgresDecodingFailure("the server type is not an array")
        }
        let elements = try parseArrayLiteral(bytes)
        return try elements.map { element in
            guard let element else { return try Element.decode(from: PostgresCell(bytes: nil, type: elementType)) }
            return try element.withUnsafeBufferPointer { try Element.decode(from: PostgresCell(bytes: $0, type: elementType)) }
        }
    }
}

/// Splits a one-dimensional array literal into its elements' unescaped texts (nil for NULL).
func parseArrayLiteral(_ text: UnsafeBufferPointer<UInt8>) throws -> [[UInt8]?] {
    var index = 0
    // An explicit lower bound, e.g. `[0:1]={1,2}`, precedes the braces.
    if text.first == UInt8(ascii: "[") {
        guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else { throw PostgresDecodingFailure("malformed array") }
        index = equals + 1
    }
    guard index < text.count, text[index] == UInt8(ascii: "{"), text.last == UInt8(ascii: "}") else {
        throw PostgresDecodingFailure("malformed array")
    }
    index += 1
    let end = text.count - 1
    var elements: [[UInt8]?] = []
    if index == end { return elements }
    while index <= end {
        var element: [UInt8] = []
        var quoted = false
        if text[index] == UInt8(ascii: "{") {
            throw PostgresDecodingFailure("multi-dimensional arrays are not supported")
        }
        if text[index] == UInt8(ascii: "\"") {
            quoted = true
            index += 1
            while index < end, text[index] != UInt8(ascii: "\"") {
                if text[index] == UInt8(ascii: "\\") { index += 1 }
                element.append(text[index])
                index += 1
            }
            index += 1  // closing quote
        } else {
            while index < end, text[index] != UInt8(ascii: ",") {
                element.append(text[index])
                index += 1
            }
        }
        if !quoted, element == Array("NULL".utf8) {
            elements.append(nil)
        } else {
            elements.append(element)
        }
        guard index == end || text[index] == UInt8(ascii: ",") else { throw PostgresDecodingFailure("malformed array") }
        index += 1
    }
    return elements
}
