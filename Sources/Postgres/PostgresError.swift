/// An error the server reported for a statement.
///
/// Its `description` names the SQLSTATE, the message and the objects involved, but never
/// `detail` (which can quote row values, such as an applicant's id number) and never a
/// bound parameter: it is safe to log.
public struct PostgresServerError: Error, Sendable, CustomStringConvertible {
    public var code: SQLState
    /// ERROR, FATAL or PANIC.
    public var severity: String
    public var message: String
    /// May quote the values of the row involved: do not log it where personal data must not go.
    public var detail: String?
    public var hint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?
    public var dataType: String?
    /// 1-based character position of the error in the statement text.
    public var position: Int?

    public init(
        code: SQLState, severity: String = "ERROR", message: String, detail: String? = nil,
        hint: String? = nil, schema: String? = nil, table: String? = nil, column: String? = nil,
        constraint: String? = nil, dataType: String? = nil, position: Int? = nil
    ) {
        self.code = code
        self.severity = severity
        self.message = message
        self.detail = detail
        self.hint = hint
        self.schema = schema
        self.table = table
        self.column = column
        self.constraint = constraint
        self.dataType = dataType
        self.position = position
    }

    public var description: String {
        var text = "\(severity) \(code): \(safeMessage)"
        if let table { text += " (table \(table))" }
        if let column { text += " (column \(column))" }
        if let constraint { text += " (constraint \(constraint))" }
        if let hint { text += " hint: \(hint)" }
        return text
    }

    /// The message with any quoted input value withheld. Data exceptions (class 22) quote the
    /// offending input, e.g. `invalid input syntax for type uuid: "…"` or
    /// `value "…" is out of range for type integer`, and that input is usually a bound
    /// parameter. Everything from the first to the last double quote goes (the value itself
    /// may hold quotes, which the server does not escape).
    public var safeMessage: String {
        guard code.errorClass == "22", let first = message.firstIndex(of: "\"") else { return message }
        let last = message.lastIndex(of: "\"").flatMap { $0 > first ? $0 : nil }
        let rest = last.map { message[message.index(after: $0)...] } ?? ""
        return String(message[..<first]) + "«value withheld»" + String(rest)
    }
}

/// Errors of the client side: connecting, a lost connection, misuse, time-outs.
public enum PostgresError: Error, Sendable, CustomStringConvertible {
    /// Could not connect. `target` names host, port, database and user, never the password.
    case connectionFailed(target: String, reason: String)
    /// The connection broke while in use (server restarted or killed, network lost).
    case connectionLost(reason: String)
    /// The connection was closed by this process.
    case connectionClosed
    /// The statement ran longer than the time-out given for it and was cancelled on the server.
    case statementTimeout(Duration)
    /// `COMMIT` found the transaction already failed; the server rolled it back.
    case transactionRolledBack
    /// The server answered something this wrapper did not expect of that statement.
    case unexpectedResult(String)
    /// Wrong use of the API, e.g. a nested `transaction` call.
    case misuse(String)
    /// A text value holds a NUL character, which PostgreSQL text cannot store; nothing was sent.
    case nulInText

    public var description: String {
        switch self {
        case .connectionFailed(let target, let reason):
            "could not connect to PostgreSQL (\(target)): \(reason)"
        case .connectionLost(let reason):
            "connection to PostgreSQL lost: \(reason)"
        case .connectionClosed:
            "the PostgreSQL connection is closed"
        case .statementTimeout(let limit):
            "statement cancelled after its time-out of \(limit)"
        case .transactionRolledBack:
            "the transaction had failed and was rolled back by the server at COMMIT"
        case .unexpectedResult(let what):
            "unexpected result from PostgreSQL: \(what)"
        case .misuse(let what):
            "misuse of the PostgreSQL client: \(what)"
        case .nulInText:
            "a text parameter contains a NUL character, which PostgreSQL text cannot hold"
        }
    }

    /// The connection cannot be used again.
    public var isConnectionError: Bool {
        switch self {
        case .connectionFailed, .connectionLost, .connectionClosed: true
        default: false
        }
    }
}

/// A value could not be decoded as the Swift type asked for.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    public var column: String
    public var columnIndex: Int
    public var serverType: PostgresType
    public var swiftType: String
    public var reason: String

    public var description: String {
        "cannot decode column \"\(column)\" (#\(columnIndex), \(serverType)) as \(swiftType): \(reason)"
    }
}
