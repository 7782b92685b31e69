import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rows and outcome of one statement. Immutable, so it can be read from any task; the
/// libpq result it wraps is freed with it.
public final class PostgresResult: @unchecked Sendable {
    private let pointer: OpaquePointer
    public let columns: [PostgresColumn]
    /// Column positions by name, for wide results only; narrow ones are searched.
    private let wideIndex: [String: Int]?
    /// Rows returned.
    public let count: Int
    /// The command tag, e.g. `INSERT 0 1` or `SELECT 3`.
    public var commandTag: String { String(cString: PQcmdStatus(pointer)) }
    /// Rows inserted, updated, deleted, copied or selected, as the command tag says.
    public var affectedRows: Int { Int(strtoll(PQcmdTuples(pointer), nil, 10)) }

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
        count = Int(PQntuples(pointer))
        let columnCount = Int(PQnfields(pointer))
        columns = (0..<columnCount).map { index in
            PostgresColumn(name: Self.columnName(pointer, index), type: PostgresType(oid: PQftype(pointer, Int32(index))))
        }
        wideIndex = columnCount > 12
            ? Dictionary(columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first }) : nil
    }

    deinit { PQclear(pointer) }

    /// Decoded in place: `String(cString:)` copies the bytes into an array first, an
    /// allocation for every column of every result.
    private static func columnName(_ pointer: OpaquePointer, _ index: Int) -> String {
        guard let name = PQfname(pointer, Int32(index)) else { return "" }
        let length = strlen(name)
        return UnsafeRawPointer(name).withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
    }

    /// The first column of this name. Narrow results, the most common, are searched rather
    /// than indexed: building a table per statement cost more than it saved.
    func columnIndex(named name: String) -> Int? {
        if let wideIndex { return wideIndex[name] }
        return columns.firstIndex { $0.name == name }
    }

    func cell(row: Int, column: Int) -> PostgresCell {
        let type = columns[column].type
        if PQgetisnull(pointer, Int32(row), Int32(column)) == 1 {
            return PostgresCell(bytes: nil, type: type)
        }
        let length = Int(PQgetlength(pointer, Int32(row), Int32(column)))
        let bytes = UnsafeRawPointer(PQgetvalue(pointer, Int32(row), Int32(column))!)
            .assumingMemoryBound(to: UInt8.self)
        return PostgresCell(bytes: UnsafeBufferPointer(start: bytes, count: length), type: type)
    }
}

public struct PostgresColumn: Sendable, Hashable {
    public let name: String
    public let type: PostgresType
}

extension PostgresResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }

    /// Each row decoded positionally: `try result.decode((UUID, String).self)`.
    public func decode<each Value: PostgresDecodable>(_ types: (repeat each Value).Type) throws -> [(repeat each Value)] {
        try map { try $0.decode(types) }
    }

    /// One column of every row: `try result.column(UUID.self)`.
    public func column<Value: PostgresDecodable>(_ type: Value.Type = Value.self, at index: Int = 0) throws -> [Value] {
        try map { try $0.decode(Value.self, at: index) }
    }

    /// The first row's first column, or nil when there are no rows.
    public func scalar<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value? {
        guard let row = first else { return nil }
        return try row.decode(Value.self, at: 0)
    }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    public let result: PostgresResult
    public let index: Int

    /// The value at a 0-based column position.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type = Value.self, at column: Int) throws -> Value {
        guard column >= 0, column < result.columns.count else {
            throw PostgresDecodingError(
                column: "#\(column)", columnIndex: column, serverType: .unspecified, swiftType: "\(Value.self)",
                reason: "the result has \(result.columns.count) column(s)")
        }
        do {
            return try Value.decode(from: result.cell(row: index, column: column))
        } catch let failure as PostgresDecodingFailure {
            throw PostgresDecodingError(
                column: result.columns[column].name, columnIndex: column, serverType: result.columns[column].type,
                swiftType: "\(Value.self)", reason: failure.reason)
        }
    }

    /// The value of the column with this name (the first, if several share it).
    public func decode<Value: PostgresDecodable>(_ type: Value.Type = Value.self, column name: String) throws -> Value {
        guard let column = result.columnIndex(named: name) else {
            throw PostgresDecodingError(
                column: name, columnIndex: -1, serverType: .unspecified, swiftType: "\(Value.self)",
                reason: "no such column; the result has \(result.columns.map(\.name).joined(separator: ", "))")
        }
        return try decode(Value.self, at: column)
    }

    /// A `json`/`jsonb` column decoded into a Codable type.
    public func decode<Value: Codable & Sendable>(json type: Value.Type, column name: String) throws -> Value {
        try decode(PostgresJSON<Value>.self, column: name).value
    }

    /// The columns in order as a tuple: `let (id, name) = try row.decode((UUID, String).self)`.
    public func decode<each Value: PostgresDecodable>(_ types: (repeat each Value).Type) throws -> (repeat each Value) {
        var column = 0
        func next<V: PostgresDecodable>(_ type: V.Type) throws -> V {
            defer { column += 1 }
            return try decode(V.self, at: column)
        }
        return (repeat try next((each Value).self))
    }

    public func isNull(at column: Int) -> Bool {
        result.cell(row: index, column: column).bytes == nil
    }
}
