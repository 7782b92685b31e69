import ArgumentParser
import Foundation
import Logging
import NIOCore
import Postgres
import ReliefAPI
import ReliefStore

/// Reads an option given on the command line, else its environment variable, else a default.
func resolve<Value>(_ flag: Value?, _ variable: String, _ convert: (String) -> Value?) -> Value? {
    if let flag { return flag }
    guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return nil }
    return convert(text)
}

/// Checks a number given by flag or environment variable, as `validate()` does for every
/// option before a command runs: a value that does not parse or is out of range is refused,
/// naming where it came from, rather than silently replaced by the default.
func checkNumber(_ flag: Int?, flagName: String, _ variable: String, in range: ClosedRange<Int>) throws {
    let given: (value: Int?, text: String, source: String)
    if let flag {
        given = (flag, String(flag), "--\(flagName)")
    } else if let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty {
        given = (Int(text.trimmingCharacters(in: .whitespaces)), text, variable)
    } else {
        return
    }
    guard let value = given.value, range.contains(value) else {
        throw ValidationError("\(given.source) is \(given.text); it should be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
}

/// A yes/no environment variable: 1, true, yes, on or 0, false, no, off; anything else is refused.
func environmentFlag(_ variable: String) throws -> Bool {
    guard let text = ProcessInfo.processInfo.environment[variable]?.trimmingCharacters(in: .whitespaces).lowercased(),
          !text.isEmpty else { return false }
    if ["1", "true", "yes", "on"].contains(text) { return true }
    if ["0", "false", "no", "off"].contains(text) { return false }
    throw ValidationError("\(variable) is \(text); it should be on or off (1/0, true/false, yes/no)")
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

    func validate() throws {
        try checkNumber(poolSize, flagName: "pool-size", "DATABASE_POOL_SIZE", in: 1...1000)
        try checkNumber(statementTimeout, flagName: "statement-timeout", "DATABASE_STATEMENT_TIMEOUT", in: 1...86_400)
        if databaseURL?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            throw ValidationError("--database-url is empty; give a PostgreSQL URL or conninfo, or leave it out")
        }
    }

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

    var resolvedSecureCookies: Bool { secureCookies || ((try? environmentFlag("RELIEFLINK_SECURE_COOKIES")) ?? false) }

    func validate() throws {
        try checkNumber(port, flagName: "port", "RELIEFLINK_PORT", in: 1...65_535)
        try checkNumber(publicRateLimit, flagName: "public-rate-limit", "RELIEFLINK_PUBLIC_RATE_LIMIT", in: 0...100_000)
        _ = try environmentFlag("RELIEFLINK_SECURE_COOKIES")
    }

    @Option(name: .customLong("public-rate-limit"), help: "Requests a minute per client address for what citizens call without an account (public county page, online application, progress, feedback); 0 for no limit (env: RELIEFLINK_PUBLIC_RATE_LIMIT; default 30).")
    var publicRateLimit: Int?

    var resolvedPublicRateLimit: Int { resolve(publicRateLimit, "RELIEFLINK_PUBLIC_RATE_LIMIT") { Int($0) } ?? 30 }

    var serverConfiguration: HTTPServer.Configuration {
        .init(hostname: resolvedHostname, port: resolvedPort, secureCookies: resolvedSecureCookies,
              publicRequestsPerMinute: resolvedPublicRateLimit,
              metricsToken: ProcessInfo.processInfo.environment["RELIEFLINK_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// A failure to listen, said as the operator needs it: which address, and why.
    func listenFailure(_ error: any Error) -> any Error {
        let address = "\(resolvedHostname):\(resolvedPort)"
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return CommandFailure("cannot listen on \(address): no such address (check --hostname or RELIEFLINK_HOST)")
        }
        guard let error = error as? IOError else { return error }
        let reason = switch error.errnoCode {
        case EADDRINUSE: "the address is in use (is another server running there?)"
        case EADDRNOTAVAIL: "this machine has no such address"
        case EACCES: "permission denied (ports below 1024 need privileges)"
        default: String(cString: strerror(error.errnoCode))
        }
        return CommandFailure("cannot listen on \(address): \(reason)")
    }

    /// Fails now, before anything is set up, when the address cannot be listened on (taken,
    /// not this machine's): a demo would otherwise seed a whole county first.
    func checkListening() throws {
        do {
            let address = try SocketAddress.makeAddressResolvingHost(resolvedHostname, port: resolvedPort)
            let descriptor = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            var reuse: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            let bound = address.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
            if bound != 0 { throw IOError(errnoCode: errno, reason: "bind") }
        } catch {
            throw listenFailure(error)
        }
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
