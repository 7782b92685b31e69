import ArgumentParser
import Foundation
import Logging
import Postgres
import ReliefAPI
import ReliefStore

/// Reads an option given on the command line, else its environment variable, else a default.
func resolve<Value>(_ flag: Value?, _ variable: String, _ convert: (String) -> Value?) -> Value? {
    if let flag { return flag }
    guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return nil }
    return convert(text)
}

struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL URL or libpq conninfo, e.g. postgresql://relieflink@db/relieflink (env: DATABASE_URL).",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("pool-size"), help: "Most connections this process opens (env: DATABASE_POOL_SIZE; default 20).")
    var poolSize: Int?

    @Option(name: .customLong("statement-timeout"), help: "Longest a statement may run, in seconds (env: DATABASE_STATEMENT_TIMEOUT; default 30).")
    var statementTimeout: Int?

    /// The configured URL, or nil when none is set.
    var url: String? { resolve(databaseURL, "DATABASE_URL") { $0 } }

    func connection(_ url: String) -> ConnectionConfiguration {
        ConnectionConfiguration(url, statementTimeout: .seconds(resolve(statementTimeout, "DATABASE_STATEMENT_TIMEOUT") { Int($0) } ?? 30))
    }

    func pool(_ url: String) -> ConnectionPool.Configuration {
        ConnectionPool.Configuration(
            connection: connection(url),
            maximumConnections: resolve(poolSize, "DATABASE_POOL_SIZE") { Int($0) } ?? 20)
    }

    /// The configured URL, or a usage error saying how to set one.
    func requireURL() throws -> String {
        guard let url else {
            throw ValidationError("DATABASE_URL is not set (nor --database-url). To try ReliefLink without a database of your own, run: relieflink demo")
        }
        return url
    }
}

struct HTTPOptions: ParsableArguments {
    @Option(name: .customLong("hostname"), help: "Address to listen on (env: RELIEFLINK_HOST; default 127.0.0.1).")
    var hostname: String?

    @Option(name: .customLong("port"), help: "Port to listen on (env: RELIEFLINK_PORT; default 8080).")
    var port: Int?

    @Flag(name: .customLong("secure-cookies"), help: "Mark the session cookie Secure; set when serving over HTTPS (env: RELIEFLINK_SECURE_COOKIES).")
    var secureCookies = false

    var resolvedSecureCookies: Bool { secureCookies || ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["RELIEFLINK_SECURE_COOKIES"]?.lowercased() ?? "") }

    @Option(name: .customLong("public-rate-limit"), help: "Requests a minute per client address for online applications and feedback; 0 for no limit (env: RELIEFLINK_PUBLIC_RATE_LIMIT; default 30).")
    var publicRateLimit: Int?

    var resolvedPublicRateLimit: Int { resolve(publicRateLimit, "RELIEFLINK_PUBLIC_RATE_LIMIT") { Int($0) } ?? 30 }

    var serverConfiguration: HTTPServer.Configuration {
        .init(hostname: resolvedHostname, port: resolvedPort, secureCookies: resolvedSecureCookies,
              publicRequestsPerMinute: resolvedPublicRateLimit,
              metricsToken: ProcessInfo.processInfo.environment["RELIEFLINK_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }

    var resolvedHostname: String { resolve(hostname, "RELIEFLINK_HOST") { $0 } ?? "127.0.0.1" }
    var resolvedPort: Int { resolve(port, "RELIEFLINK_PORT") { Int($0) } ?? 8080 }
}

struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env: LOG_LEVEL; default info).")
    var level: String?

    @Option(name: .customLong("log-format"), help: "text or json, one object a line (env: LOG_FORMAT; default text).")
    var format: String?

    /// Sets up swift-log for the whole process and returns a logger labelled `label`.
    func makeLogger(_ label: String) throws -> Logger {
        let levelText = resolve(level, "LOG_LEVEL") { $0 } ?? "info"
        guard let logLevel = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("unknown log level \(levelText); use trace, debug, info, notice, warning, error or critical")
        }
        let formatText = resolve(format, "LOG_FORMAT") { $0 } ?? "text"
        guard let logFormat = LogFormat(rawValue: formatText.lowercased()) else {
            throw ValidationError("unknown log format \(formatText); use text or json")
        }
        LoggingSetup.bootstrap(level: logLevel, format: logFormat)
        return Logger(label: label)
    }
}

/// The personal-data keys (RELIEFLINK_DATA_KEYS, RELIEFLINK_LOOKUP_KEY), or a usage error
/// saying how to make them.
func personalDataCipher() throws -> PersonalDataCipher {
    do {
        return try PersonalDataCipher(environment: ProcessInfo.processInfo.environment)
    } catch {
        throw ValidationError("""
            \(error). Set RELIEFLINK_DATA_KEYS=key1:$(openssl rand -base64 32) and \
            RELIEFLINK_LOOKUP_KEY=$(openssl rand -base64 32), and keep them safe: sealed data cannot be read without them.
            """)
    }
}
