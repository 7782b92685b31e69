import CLibPQ

/// Where and how to connect: a `postgresql://` URL or a libpq conninfo string
/// (`host=/run/pg dbname=relief`), as libpq itself reads them, plus the session settings
/// this wrapper relies on.
public struct ConnectionConfiguration: Sendable, CustomStringConvertible {
    /// URL or conninfo. May hold a password; it is never printed.
    public var connectionString: String
    public var applicationName: String
    /// Gives up connecting after this long.
    public var connectTimeout: Duration
    /// A server-side limit for every statement on these connections (`statement_timeout`).
    public var statementTimeout: Duration?
    /// Statements prepared and kept per connection, by SQL text; 0 disables the cache.
    public var statementCacheSize: Int

    public init(
        _ connectionString: String,
        applicationName: String = "relieflink",
        connectTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = nil,
        statementCacheSize: Int = 256
    ) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.statementCacheSize = statementCacheSize
    }

    /// Host, port, database and user as given (libpq's defaults where not), without the password.
    public var description: String {
        let fields = parsedFields() ?? [:]
        func field(_ key: String, _ fallback: String) -> String { fields[key].flatMap { $0.isEmpty ? nil : $0 } ?? fallback }
        return "host=\(field("host", field("hostaddr", "default socket"))) port=\(field("port", "5432")) "
            + "dbname=\(field("dbname", "default")) user=\(field("user", "default"))"
    }

    /// The keyword/value pairs libpq reads from `connectionString`; nil when it cannot parse it.
    public func parsedFields() -> [String: String]? {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var fields: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                fields[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        return fields
    }

    /// Why libpq cannot parse `connectionString`, or nil when it can.
    public func parseError() -> String? {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            guard let errorMessage else { return "out of memory" }
            defer { PQfreemem(errorMessage) }
            return String(cString: errorMessage).trimmingTrailingNewlines()
        }
        PQconninfoFree(options)
        return nil
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while let last = text.last, last.isNewline || last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
