import Foundation

/// A statement and its bound parameters, written as a string interpolation:
///
///     let query: PostgresQuery = "SELECT name FROM org WHERE county_id = \(county) AND id = \(id)"
///
/// Every interpolated value becomes a `$n` parameter, sent apart from the SQL text, so a value
/// can never change the statement. The only ways to add SQL text are string literals in code,
/// `\(identifier:)` (a quoted name) and `\(fragment)` (another `PostgresQuery`, whose own
/// parameters are renumbered).
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var sql: String
    public private(set) var parameters: [PostgresParameter]
    /// Where each parameter's `$n` sits in `sql` (UTF-8 offsets), so this query can be spliced
    /// into another with its placeholders renumbered. Plain offsets rather than a copy of the
    /// statement in pieces: a query is built for every statement run.
    private var placeholders: [Range<Int>]

    public init(stringLiteral value: String) {
        sql = value
        parameters = []
        placeholders = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self = stringInterpolation.query
    }

    /// SQL text built by the program itself, not from input: for DDL or statements whose shape
    /// is chosen at run time. Never pass text that came from a request.
    public init(unsafeSQL sql: String) {
        self.init(stringLiteral: sql)
    }

    private init() {
        sql = ""
        parameters = []
        placeholders = []
    }

    /// The statement text only; parameter values are never printed.
    public var description: String {
        parameters.isEmpty ? sql : "\(sql) [\(parameters.count) parameter(s)]"
    }

    mutating func append(sql text: String) {
        sql += text
    }

    mutating func append(parameter: PostgresParameter) {
        parameters.append(parameter)
        let start = sql.utf8.count
        sql += "$"
        sql += String(parameters.count)
        placeholders.append(start..<sql.utf8.count)
    }

    /// Joins queries with a separator, e.g. a list of `AND` conditions.
    public static func joined(_ parts: [PostgresQuery], separator: String) -> PostgresQuery {
        var query = PostgresQuery()
        for (index, part) in parts.enumerated() {
            if index > 0 { query.append(sql: separator) }
            query.splice(part)
        }
        return query
    }

    mutating func splice(_ other: PostgresQuery) {
        let text = other.sql.utf8
        var copied = text.startIndex
        for (placeholder, parameter) in zip(other.placeholders, other.parameters) {
            let start = text.index(text.startIndex, offsetBy: placeholder.lowerBound)
            append(sql: String(other.sql[copied..<start]))
            append(parameter: parameter)
            copied = text.index(text.startIndex, offsetBy: placeholder.upperBound)
        }
        append(sql: String(other.sql[copied...]))
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var query = PostgresQuery()

        public init(literalCapacity: Int, interpolationCount: Int) {
            query.sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            query.parameters.reserveCapacity(interpolationCount)
            query.placeholders.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            query.append(sql: literal)
        }

        /// A value, bound as the next `$n`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            query.append(parameter: PostgresParameter(value))
        }

        /// An optional value; nil is bound as SQL NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            query.append(parameter: value.map(PostgresParameter.init) ?? PostgresParameter.null(Value.postgresType))
        }

        /// A value encoded as JSON and bound as `jsonb`.
        public mutating func appendInterpolation<Value: Encodable & Sendable>(json value: Value) {
            query.append(parameter: PostgresParameter(PostgresEncodableJSON(value: value)))
        }

        /// A table, column or other name, double-quoted so it is read as one identifier.
        public mutating func appendInterpolation(identifier name: String) {
            query.append(sql: quoteIdentifier(name))
        }

        /// An integer written into the SQL text instead of bound: for `LIMIT` and `OFFSET`, so
        /// a statement without other parameters gets one plan per connection instead of one
        /// per execution (PostgreSQL plans a statement with a bound limit afresh each time, and
        /// planning the row-level security of a case list costs as much as running it). An
        /// integer cannot carry SQL, so nothing can be spliced this way.
        public mutating func appendInterpolation(literal value: Int) {
            query.append(sql: String(value))
        }

        /// Another query, spliced in with its parameters renumbered.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            query.splice(fragment)
        }
    }
}

/// `name` as a double-quoted SQL identifier. NUL, which cannot occur in a name, is dropped.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"").replacingOccurrences(of: "\u{0}", with: "") + "\""
}

/// One bound parameter: its type and its bytes in text or binary format.
public struct PostgresParameter: Sendable, Hashable {
    public var type: PostgresType
    /// nil is SQL NULL.
    public var bytes: [UInt8]?
    public var isBinary: Bool

    public init<Value: PostgresEncodable>(_ value: Value) {
        type = Value.postgresType
        if value.isNull {
            bytes = nil
            isBinary = false
        } else if let binary = value.binaryEncoding {
            bytes = binary
            isBinary = true
        } else {
            var buffer: [UInt8] = []
            value.encodeText(into: &buffer)
            bytes = buffer
            isBinary = false
        }
    }

    public static func null(_ type: PostgresType) -> PostgresParameter {
        PostgresParameter(type: type, bytes: nil, isBinary: false)
    }

    init(type: PostgresType, bytes: [UInt8]?, isBinary: Bool) {
        self.type = type
        self.bytes = bytes
        self.isBinary = isBinary
    }
}
