/// A Swift value that can be sent to PostgreSQL as a parameter.
public protocol PostgresEncodable: Sendable {
    /// The parameter's declared type; `.unspecified` lets the server infer it.
    static var postgresType: PostgresType { get }
    /// Appends the value's text form, as PostgreSQL's input function reads it.
    func encodeText(into buffer: inout [UInt8])
    /// The value's binary form, for types where that is cheaper (bytea); nil for text.
    var binaryEncoding: [UInt8]? { get }
    /// Whether the value is SQL NULL (only an Optional's nil is).
    var isNull: Bool { get }
}

extension PostgresEncodable {
    public var binaryEncoding: [UInt8]? { nil }
    public var isNull: Bool { false }
}

/// One value of a result row, in PostgreSQL's text format; `bytes` is nil for SQL NULL.
public struct PostgresCell {
    public let bytes: UnsafeBufferPointer<UInt8>?
    public let type: PostgresType

    public init(bytes: UnsafeBufferPointer<UInt8>?, type: PostgresType) {
        self.bytes = bytes
        self.type = type
    }

    var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// Why a cell could not be decoded; the row adds the column, server type and Swift type.
public struct PostgresDecodingFailure: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// A Swift value that can be read from a result column.
public protocol PostgresDecodable: Sendable {
    /// Decodes `cell`, which may be NULL. Throw `PostgresDecodingFailure` to refuse it.
    static func decode(from cell: PostgresCell) throws -> Self
}

/// A value that is never NULL; decoding NULL into it is an error (decode an Optional instead).
public protocol PostgresNonNullDecodable: PostgresDecodable {
    /// Whether a column of this server type can hold this Swift type.
    static func accepts(_ type: PostgresType) -> Bool
    /// Decodes the value's text form.
    static func decode(text: UnsafeBufferPointer<UInt8>, type: PostgresType) throws -> Self
}

extension PostgresNonNullDecodable {
    public static func decode(from cell: PostgresCell) throws -> Self {
        guard accepts(cell.type) else {
            throw PostgresDecodingFailure("the server type does not convert to this Swift type")
        }
        guard let bytes = cell.bytes else {
            throw PostgresDecodingFailure("the value is NULL; decode an Optional")
        }
        return try decode(text: bytes, type: cell.type)
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        cell.bytes == nil ? nil : try Wrapped.decode(from: cell)
    }
}

public typealias PostgresCodable = PostgresEncodable & PostgresNonNullDecodable
