import CLibPQ
import Foundation

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
    /// How long a cancelled statement (its task cancelled, or over its time-out) may go
    /// unanswered before the connection is given up: its socket is shut down, the statement
    /// fails as cancelled or timed out, and the connection counts as broken. A server that
    /// hangs, or that the network cut off without a word, answers nothing, not even a cancel.
    public var unansweredCancelLimit: Duration

    public init(
        _ connectionString: String,
        applicationName: String = "relieflink",
        connectTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = nil,
        statementCacheSize: Int = 256,
        unansweredCancelLimit: Duration = .seconds(15)
    ) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.statementCacheSize = statementCacheSize
        self.unansweredCancelLimit = unansweredCancelLimit
    }

    /// Host, port, database and user as given (libpq's defaults where not), without the password.
    public var description: String {
        let fields = parsedFields() ?? lenientURLFields()
        if fields.isEmpty { return "an unreadable connection string" }
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

    /// Why libpq cannot parse `connectionString`, or nil when it can. Never holds any of the
    /// string: libpq quotes what it could not read (`missing "=" after "…"`, `invalid
    /// percent-encoded token: "…"`), which may be the whole string, password and all, so every
    /// quoted part but a quoted "=" is withheld.
    public func parseError() -> String? {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            guard let errorMessage else { return "out of memory" }
            defer { PQfreemem(errorMessage) }
            if let schemeEnd = connectionString.range(of: "://") {
                let scheme = connectionString[..<schemeEnd.lowerBound]
                // Shown only when it is plainly a scheme: text before "://" could be anything.
                if scheme.count <= 20, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
                   !["postgres", "postgresql"].contains(scheme.lowercased()) {
                    return "the URL's scheme is \(scheme)://; it must be postgresql:// (or postgres://)"
                }
            }
            return Self.withholdingQuotedInput(String(cString: errorMessage).trimmingTrailingNewlines())
                + " (expected postgresql://user:password@host:port/database, or key=value pairs such as host=/run/postgresql dbname=relieflink)"
        }
        PQconninfoFree(options)
        return nil
    }

    static func withholdingQuotedInput(_ message: String) -> String {
        var result = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "\"") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "\"") else {
                result += "«withheld»"
                return result
            }
            result += rest[afterOpen..<close] == "=" ? "\"=\"" : "«withheld»"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// Host, port, database, user and password read from a `postgres://` URL that libpq
    /// refused, so a failure can still name its target. Best effort; empty for other strings.
    func lenientURLFields() -> [String: String] {
        guard let schemeEnd = connectionString.range(of: "://"),
              ["postgres", "postgresql"].contains(connectionString[..<schemeEnd.lowerBound].lowercased())
        else { return [:] }
        var rest = connectionString[schemeEnd.upperBound...]
        // The user information ends at the last "@": a password written without percent-encoding
        // may hold "@", "/", "?" or "#", none of which may then be read as host, path or query.
        var fields: [String: String] = [:]
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                fields["user"] = String(userInfo[..<colon])
                fields["password"] = String(userInfo[userInfo.index(after: colon)...])
            } else {
                fields["user"] = String(userInfo)
            }
            rest = rest[rest.index(after: at)...]
        }
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { query[String(parts[0])] = String(parts[1]) }
            }
            rest = rest[..<mark]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            fields["dbname"] = String(rest[rest.index(after: slash)...])
            authority = rest[..<slash]
        }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            fields["host"] = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { fields["port"] = String(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            fields["host"] = String(authority[..<colon])
            fields["port"] = String(authority[authority.index(after: colon)...])
        } else {
            fields["host"] = String(authority)
        }
        fields.merge(query) { _, fromQuery in fromQuery }
        return fields.mapValues { $0.removingPercentEncoding ?? $0 }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while let last = text.last, last.isNewline || last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
