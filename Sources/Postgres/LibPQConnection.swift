import CLibPQ
import Foundation
import Logging

/// The libpq connection itself. Not thread-safe, as libpq is not: once attached to an event
/// loop, its methods run one operation at a time (`ConnectionGate`), on the issuing task's
/// thread, and never block; the loop only waits for its socket. `PostgresConnection` refuses
/// an operation on a closed connection before any of them runs (`runAlone`).
final class LibPQConnection: @unchecked Sendable {
    let pointer: OpaquePointer
    let socket: Int32
    /// Where the non-blocking methods wait for the server; nil for the blocking uses
    /// (the listener's connection, and a new connection's setup).
    private(set) var loop: PostgresEventLoop?
    let backendPID: Int32
    let target: String
    private let noticeSink: Unmanaged<NoticeSink>
    private let cacheSize: Int
    /// Prepared statements by SQL text.
    private var statements: [String: CachedStatement] = [:]
    private var statementCounter = 0
    /// Counts uses, so that a full cache gives up the statement used least recently.
    private var useCounter = 0
    private(set) var isClosed = false

    private struct CachedStatement {
        let name: String
        /// `name` as libpq takes it, made once: a Swift string passed to C is copied into an
        /// array on every call.
        let cName: ContiguousArray<CChar>
        /// The parameter types it was prepared with: the same text bound with other types
        /// (a NULL typed differently, say) is prepared again in its place.
        let types: [UInt32]
        var lastUse: Int

        init(name: String, types: [UInt32], lastUse: Int) {
            self.name = name
            cName = name.utf8CString
            self.types = types
            self.lastUse = lastUse
        }

        /// Its name, if it fits `query`, recording the use; by index, not by copies of the
        /// parameters, which would retain and release each one's bytes.
        mutating func use(for query: PostgresQuery, at counter: Int) -> ContiguousArray<CChar>? {
            let parameters = query.parameters
            guard types.count == parameters.count else { return nil }
            for index in types.indices where types[index] != parameters[index].type.oid { return nil }
            lastUse = counter
            return cName
        }
    }

    private init(pointer: OpaquePointer, configuration: ConnectionConfiguration, noticeSink: Unmanaged<NoticeSink>) {
        self.pointer = pointer
        socket = PQsocket(pointer)
        backendPID = PQbackendPID(pointer)
        target = LibPQConnection.describeTarget(pointer)
        self.noticeSink = noticeSink
        cacheSize = configuration.statementCacheSize
    }

    /// Connects and sets the session up; blocks until done or failed.
    static func connect(_ configuration: ConnectionConfiguration, logger: Logger) throws -> LibPQConnection {
        if let problem = configuration.parseError() {
            throw PostgresError.connectionFailed(target: configuration.description, reason: "invalid connection string: \(problem)")
        }
        let timeoutSeconds = max(1, Int(configuration.connectTimeout.components.seconds))
        // Later keywords override earlier ones: our defaults come first, so the caller's
        // connection string (expanded from `dbname`) wins; the encoding we rely on comes last.
        let pairs: [(String, String)] = [
            ("application_name", configuration.applicationName),
            ("connect_timeout", String(timeoutSeconds)),
            // Over TCP, a server the network cut off is noticed within about a minute, even by a
            // connection waiting for an answer: the system's default keepalive waits two hours.
            // Unix sockets ignore these.
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
            ("dbname", configuration.connectionString),
            ("client_encoding", "UTF8"),
        ]
        let pointer: OpaquePointer? = withCStringArray(pairs.map(\.0)) { keywords in
            withCStringArray(pairs.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let pointer else {
            throw PostgresError.connectionFailed(target: configuration.description, reason: "out of memory")
        }
        guard PQstatus(pointer) == CONNECTION_OK else {
            // One line: libpq continues a reason on a new, indented line ("\n\tIs the server
            // running…"), which breaks one-line-per-entry logs.
            let reason = String(cString: PQerrorMessage(pointer)).trimmingTrailingNewlines()
                .replacingOccurrences(of: "\n\t", with: " ").replacingOccurrences(of: "\n", with: "; ")
            let target = describeTarget(pointer)
            PQfinish(pointer)
            throw PostgresError.connectionFailed(target: target, reason: reason)
        }
        let sink = Unmanaged.passRetained(NoticeSink(logger: logger))
        PQsetNoticeReceiver(pointer, noticeReceiver, sink.toOpaque())
        let connection = LibPQConnection(pointer: pointer, configuration: configuration, noticeSink: sink)
        do {
            // The decoders read ISO dates in UTC and full-precision floats.
            var setup = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3"
            if let limit = configuration.statementTimeout {
                setup += "; SET statement_timeout = \(limit.milliseconds)"
            }
            try connection.executeScriptBlocking(setup)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// Hands the connection to `loop`, which drives it without blocking from now on.
    func attach(to loop: PostgresEventLoop) {
        PQsetnonblocking(pointer, 1)
        self.loop = loop
    }

    private static func describeTarget(_ pointer: OpaquePointer) -> String {
        func field(_ value: UnsafeMutablePointer<CChar>?) -> String {
            value.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        }
        return "host=\(field(PQhost(pointer))) port=\(field(PQport(pointer))) dbname=\(field(PQdb(pointer))) user=\(field(PQuser(pointer)))"
    }

    var transactionStatus: TransactionStatus {
        // PQfinish freed the connection: libpq cannot be asked any more.
        guard !isClosed else { return .unknown }
        return TransactionStatus(PQtransactionStatus(pointer))
    }

    var isBroken: Bool { isClosed || PQstatus(pointer) != CONNECTION_OK }

    /// Runs one statement with its parameters. Statements are prepared once per connection and
    /// reused, so the server parses them once, and plans them once unless their parameters make
    /// a plan of their own worth it. That holds for statements without parameters too: a case
    /// list whose visibility comes from row-level security is planned once per connection.
    nonisolated(nonsending) func execute(_ query: PostgresQuery) async throws -> PostgresResult {
        do {
            return try await executePrepared(query)
        } catch let error as PostgresServerError where isStaleStatement(error) && transactionStatus == .idle {
            // The schema changed under a cached plan (or the session discarded it): prepare again.
            await forget(query.sql)
            return try await executePrepared(query)
        }
    }

    nonisolated(nonsending) private func executePrepared(_ query: PostgresQuery) async throws -> PostgresResult {
        // A cached statement is found without an await: every await of a function costs a
        // look-up of the task's executor when it returns, and this runs for every statement.
        let name: ContiguousArray<CChar>?
        switch cachedStatement(for: query) {
        case .named(let cached): name = cached
        case .unnamed: name = nil
        case .toPrepare: name = try await prepare(query)
        }
        let sent = try withParameters(query) { count, types, values, lengths, formats in
            guard let name else { return PQsendQueryParams(pointer, query.sql, count, types, values, lengths, formats, 0) }
            return name.withUnsafeBufferPointer { PQsendQueryPrepared(pointer, $0.baseAddress, count, values, lengths, formats, 0) }
        }
        return try await finishCommand(sent: sent)
    }

    private enum CachedName {
        case named(ContiguousArray<CChar>)
        /// Runs without a name: no cache, or a failed transaction, where nothing new can be
        /// prepared and the statement will fail anyway.
        case unnamed
        case toPrepare
    }

    /// The name `query` is prepared under on this connection, if it is.
    private func cachedStatement(for query: PostgresQuery) -> CachedName {
        guard cacheSize > 0 else { return .unnamed }
        useCounter += 1
        // One look-up: this runs for every statement.
        if let index = statements.index(forKey: query.sql), let name = statements.values[index].use(for: query, at: useCounter) {
            return .named(name)
        }
        return transactionStatus == .idle || transactionStatus == .inTransaction ? .toPrepare : .unnamed
    }

    /// The name `query` is prepared under on this connection, preparing it first if needed;
    /// nil when it runs unnamed (see `CachedName.unnamed`).
    nonisolated(nonsending) private func preparedName(_ query: PostgresQuery) async throws -> ContiguousArray<CChar>? {
        switch cachedStatement(for: query) {
        case .named(let name): name
        case .unnamed: nil
        case .toPrepare: try await prepare(query)
        }
    }

    /// Prepares `query` under a new name, making room in the cache first.
    nonisolated(nonsending) private func prepare(_ query: PostgresQuery) async throws -> ContiguousArray<CChar> {
        // A value that will be refused is refused before anything is prepared or given up for it.
        try refuseNulInText(query)
        // Prepared statements are not transactional: giving one up holds inside a transaction too.
        if let stale = statements.removeValue(forKey: query.sql) {
            _ = try await executeScript("DEALLOCATE \(quoteIdentifier(stale.name))")
        } else if statements.count >= cacheSize, let (oldest, entry) = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            _ = try await executeScript("DEALLOCATE \(quoteIdentifier(entry.name))")
            statements[oldest] = nil
        }
        statementCounter += 1
        let name = "relieflink_\(statementCounter)"
        let types = query.parameters.map { Oid($0.type.oid) }
        let sent = types.withUnsafeBufferPointer { types in
            PQsendPrepare(pointer, name, query.sql, Int32(types.count), types.baseAddress)
        }
        _ = try await finishCommand(sent: sent)
        let statement = CachedStatement(name: name, types: types, lastUse: useCounter)
        statements[query.sql] = statement
        return statement.cName
    }

    /// Gives up a cached statement whose plan went stale, or that the session lost (then the
    /// DEALLOCATE fails, harmlessly: outside a transaction, as its callers are).
    nonisolated(nonsending) private func forget(_ sql: String) async {
        guard let stale = statements.removeValue(forKey: sql) else { return }
        _ = try? await executeScript("DEALLOCATE \(quoteIdentifier(stale.name))")
    }

    /// Runs `queries` as one transaction in one round trip, with libpq's pipeline mode: the
    /// statements before the pipeline's sync form one implicit transaction, which the server
    /// commits at the sync, or rolls back at the first error, the error thrown here.
    nonisolated(nonsending) func executePipelined(_ queries: [PostgresQuery]) async throws -> [PostgresResult] {
        guard transactionStatus == .idle else {
            throw PostgresError.misuse("a pipelined transaction cannot run inside another transaction")
        }
        do {
            return try await sendPipeline(queries)
        } catch let error as PostgresServerError where isStaleStatement(error) {
            // Rolled back whole: prepare again and run it once more.
            for query in queries { await forget(query.sql) }
            return try await sendPipeline(queries)
        }
    }

    nonisolated(nonsending) private func sendPipeline(_ queries: [PostgresQuery]) async throws -> [PostgresResult] {
        // Refuse bad parameters before anything is sent: a pipeline cannot be left half-built.
        for query in queries { try refuseNulInText(query) }
        var names: [ContiguousArray<CChar>?] = []
        for query in queries { names.append(try await preparedName(query)) }
        // Preparing a later one can give up an earlier one's statement (the same text bound with
        // other types, or a cache smaller than the pipeline): those run unnamed.
        for (index, query) in queries.enumerated() where names[index] != nil && statements[query.sql]?.cName != names[index] {
            names[index] = nil
        }
        guard PQenterPipelineMode(pointer) == 1 else {
            throw brokenOr(PostgresError.unexpectedResult(errorMessage))
        }
        // Fails only while results are still unread, which happens only on a lost connection.
        defer { PQexitPipelineMode(pointer) }
        for (query, name) in zip(queries, names) {
            let sent = try withParameters(query) { count, types, values, lengths, formats in
                if let name { return name.withUnsafeBufferPointer { PQsendQueryPrepared(pointer, $0.baseAddress, count, values, lengths, formats, 0) } }
                return PQsendQueryParams(pointer, query.sql, count, types, values, lengths, formats, 0)
            }
            guard sent == 1 else { throw lost() }
        }
        guard PQpipelineSync(pointer) == 1 else { throw lost() }
        try await flush()
        var results: [PostgresResult] = []
        var failure: Error?
        for _ in queries {
            guard let result = try await nextResult() else { throw lost() }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)  // skipped after an earlier statement failed
            } else {
                do { results.append(try check(result)) } catch { failure = failure ?? error }
            }
            // A NULL ends each statement's results.
            while let extra = try await nextResult() { PQclear(extra) }
        }
        guard let sync = try await nextResult() else { throw lost() }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced else { throw lost() }
        if let failure { throw failure }
        return results
    }

    private func isStaleStatement(_ error: PostgresServerError) -> Bool {
        (error.code == .featureNotSupported && error.message.contains("cached plan"))
            || error.code == "26000"  // invalid_sql_statement_name: the prepared statement is gone
    }

    /// Runs SQL text as is: several statements allowed, no parameters. For trusted SQL only
    /// (session setup, migrations, transaction control). As PQexec: the first error, else the
    /// last statement's result.
    @discardableResult
    nonisolated(nonsending) func executeScript(_ sql: String) async throws -> PostgresResult {
        return try await finishCommand(sent: PQsendQuery(pointer, sql))
    }

    /// `executeScript` for a connection without an event loop (the listener's, and the setup of
    /// a new one): blocks its thread until the server answers.
    func executeScriptBlocking(_ sql: String) throws {
        guard !isClosed else { throw PostgresError.connectionClosed }
        _ = try check(PQexec(pointer, sql))
    }

    /// Turns a libpq result into a `PostgresResult` or the error it carries.
    func check(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw brokenOr(PostgresError.unexpectedResult(errorMessage))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // The commands that can start a COPY end it themselves (`finishCommand`).
            PQclear(result)
            throw PostgresError.misuse("COPY runs through copyIn(_:), not query(_:)")
        default:
            let error = PostgresServerError(result: result)
            PQclear(result)
            if isBroken {
                throw PostgresError.connectionLost(reason: error.code.code.isEmpty ? error.message : error.description)
            }
            throw error
        }
    }

    func brokenOr(_ error: Error) -> Error {
        isBroken ? PostgresError.connectionLost(reason: errorMessage) : error
    }

    /// Whether the idle connection still looks alive: checks for an end-of-file or an error
    /// the server sent while nobody was listening (a restart, an idle time-out).
    ///
    /// A server ending the session sends a FATAL error, which libpq hands to the notice
    /// receiver while the connection stays "OK", and then closes; libpq sees the close only on
    /// a later read. So: read until nothing is left, and count a FATAL notice as the end.
    func checkAlive() -> Bool {
        guard !isBroken else { return false }
        for _ in 0..<16 {
            guard PQconsumeInput(pointer) == 1 else { return false }
            while let notification = PQnotifies(pointer) { PQfreemem(notification) }
            guard !noticeSink.takeUnretainedValue().sessionEnded, socketHasInput(socket) else { break }
        }
        return !isBroken && !noticeSink.takeUnretainedValue().sessionEnded
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        PQfinish(pointer)
        noticeSink.release()
    }

    deinit { close() }
}

enum TransactionStatus: Sendable {
    case idle, active, inTransaction, inFailedTransaction, unknown

    init(_ status: PGTransactionStatusType) {
        switch status {
        case PQTRANS_IDLE: self = .idle
        case PQTRANS_ACTIVE: self = .active
        case PQTRANS_INTRANS: self = .inTransaction
        case PQTRANS_INERROR: self = .inFailedTransaction
        default: self = .unknown
        }
    }
}

/// Calls `body` with `strings` as a NULL-terminated array of C strings.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension PostgresServerError {
    init(result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        self.init(
            code: SQLState(field("C") ?? ""),
            severity: field("V") ?? field("S") ?? "ERROR",
            message: field("M") ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines(),
            detail: field("D"), hint: field("H"), schema: field("s"), table: field("t"), column: field("c"),
            constraint: field("n"), dataType: field("d"), position: field("P").flatMap { Int($0) })
    }
}

/// Receives server notices (e.g. "relation already exists, skipping") and logs them; also
/// the FATAL error a server sends to an idle connection before it closes it. Used by one
/// operation of the connection at a time.
final class NoticeSink: @unchecked Sendable {
    let logger: Logger
    /// The server said it is ending this session (FATAL or PANIC outside a statement).
    var sessionEnded = false
    init(logger: Logger) { self.logger = logger }
}

private let noticeReceiver: PQnoticeReceiver = { argument, result in
    guard let argument, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(argument).takeUnretainedValue()
    let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))).map { String(cString: $0) }
    if severity == "FATAL" || severity == "PANIC" { sink.sessionEnded = true }
    sink.logger.debug("postgres notice", metadata: [
        "notice": .string(String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines()),
    ])
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
