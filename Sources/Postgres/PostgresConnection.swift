import Foundation
import Logging
import Synchronization

/// One connection to PostgreSQL.
///
/// Statements run one at a time, in the order they were issued, on the thread of the task
/// issuing them: libpq is non-blocking here, and when a statement's answer is not there yet,
/// the event loop the connection belongs to waits for it, without blocking a thread (Swift's
/// cooperative threads must never block). Cancelling the awaiting task cancels its statement
/// on the server.
public final class PostgresConnection: Sendable {
    public let configuration: ConnectionConfiguration
    public let logger: Logger
    /// Whether statements are logged (trace level), read once: asking the logger costs a copy
    /// of its handler, on every statement.
    private let tracesStatements: Bool
    /// The event loop that waits for this connection's answers, as a task executor: code that
    /// runs a series of statements can run there (`withTaskExecutorPreference`), and is then
    /// resumed on the thread that saw the answer instead of being handed to another. It shares
    /// the loop's thread with other connections, so it should not compute for long.
    public var executor: any TaskExecutor { loop }

    /// The server process serving this connection (`pg_backend_pid()`).
    public let backendPID: Int32
    let socket: Int32
    private let loop: PostgresEventLoop
    private let gate = ConnectionGate()
    private let handle: LibPQConnection
    private let cancellation: CancelCoordinator
    private let state: Mutex<State>

    private struct State {
        var transactionStatus: TransactionStatus = .idle
        var sessionRole: SessionRole = .loginUser
        var isBroken = false
        var isClosed = false
        var savepointCounter = 0
    }

    private init(configuration: ConnectionConfiguration, logger: Logger, loop: PostgresEventLoop, handle: LibPQConnection) {
        self.configuration = configuration
        self.logger = logger
        tracesStatements = logger.logLevel <= .trace
        self.loop = loop
        self.handle = handle
        backendPID = handle.backendPID
        socket = handle.socket
        cancellation = CancelCoordinator(connection: handle.pointer, socket: handle.socket,
                                         unansweredLimit: configuration.unansweredCancelLimit)
        state = Mutex(State())
    }

    /// Opens a connection. A failure names host, port, database and user, never the password.
    public static func connect(
        _ configuration: ConnectionConfiguration,
        logger: Logger = Logger(label: "relieflink.postgres")
    ) async throws -> PostgresConnection {
        // libpq's connect honours connect_timeout only when it blocks: on a thread of its own.
        let handle = try await onThreadOfItsOwn { try LibPQConnection.connect(configuration, logger: logger) }
        let loop = PostgresEventLoop.next()
        handle.attach(to: loop)
        var logger = logger
        logger[metadataKey: "pg_pid"] = "\(handle.backendPID)"
        return PostgresConnection(configuration: configuration, logger: logger, loop: loop, handle: handle)
    }

    /// Runs one statement and returns its rows.
    ///
    /// - Parameter timeout: cancels the statement on the server after this long and throws
    ///   `PostgresError.statementTimeout`.
    @discardableResult
    public func query(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> PostgresResult {
        if tracesStatements { logger.trace("query", metadata: ["sql": "\(query.sql)"]) }
        return try await run(timeout: timeout) { handle in try await handle.execute(query) }
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> Int {
        try await self.query(query, timeout: timeout).affectedRows
    }

    /// Runs `queries` as one transaction in a single round trip (libpq's pipeline mode), for
    /// short transactions whose statements do not depend on each other's results: committed
    /// when the last succeeds, rolled back whole at the first error, which is thrown. Not
    /// inside `transaction(_:)`.
    ///
    /// - Parameter role: the role the transaction acts as, and the session keeps after it
    ///   (see `transaction(isolation:readOnly:actingAs:_:)`); nil for the user it logged in as.
    public func pipelinedTransaction(_ queries: [PostgresQuery], actingAs role: String? = nil, timeout: Duration? = nil) async throws -> [PostgresResult] {
        if tracesStatements { logger.trace("pipelined transaction", metadata: ["statements": "\(queries.count)"]) }
        let target = SessionRole(role)
        return try await run(timeout: timeout, restoringLoginUser: false) { handle in
            guard self.beginSwitch(to: target) else { return try await handle.executePipelined(queries) }
            let results = try await handle.executePipelined([target.switchStatement] + queries)
            self.endSwitch(to: target)
            return Array(results.dropFirst())
        }
    }

    /// Runs SQL text as is, several statements allowed, without parameters: for trusted SQL
    /// that ships with the program (migrations, setup), never for text built from input.
    public func executeScript(_ sql: String, timeout: Duration? = nil) async throws {
        try await run(timeout: timeout) { handle in _ = try await handle.executeScript(sql) }
    }

    /// Runs `body` alone on the connection, under a cancellation ticket, and
    /// records the connection's state afterwards.
    ///
    /// Outside a transaction, a session left acting as another role by an earlier transaction
    /// first goes back to the user it logged in as, unless `restoringLoginUser` is false: the
    /// caller takes the role it needs itself.
    func run<T: Sendable>(
        timeout: Duration? = nil,
        cancellable: Bool = true,
        restoringLoginUser: Bool = true,
        _ body: nonisolated(nonsending) @escaping @Sendable (LibPQConnection) async throws -> T
    ) async throws -> T {
        if cancellable { try Task.checkCancellation() }
        let ticket = cancellation.newTicket()
        let timer = timeout.map { limit in
            // Off the event loop, which a body running there could keep busy.
            Task(executorPreference: globalConcurrentExecutor) { [cancellation] in
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { cancellation.cancel(ticket, reason: .timeout(limit)) }
            }
        }
        defer { timer?.cancel() }
        guard cancellable else { return try await runAlone(ticket, restoringLoginUser: restoringLoginUser, body) }
        return try await withTaskCancellationHandler {
            try await runAlone(ticket, restoringLoginUser: restoringLoginUser, body)
        } onCancel: { [cancellation] in
            cancellation.cancel(ticket, reason: .task)
        }
    }

    /// `run`'s body alone on the connection, where the caller runs.
    private func runAlone<T: Sendable>(
        _ ticket: UInt64, restoringLoginUser: Bool,
        _ body: nonisolated(nonsending) @Sendable (LibPQConnection) async throws -> T
    ) async throws -> T {
        if !gate.tryEnter() { await gate.enter() }
        defer { gate.leave() }
        while try !cancellation.begin(ticket) { await CancelCoordinator.pause() }
        let outcome: Result<T, Error>
        do {
            // Closed by an operation that had the connection before this one (between a COPY's
            // chunks, say): libpq has freed it, and its socket may be another's by now.
            guard !handle.isClosed else { throw PostgresError.connectionClosed }
            if restoringLoginUser, beginSwitch(to: .loginUser) {
                _ = try await handle.executeScript("RESET ROLE")
                endSwitch(to: .loginUser)
            }
            outcome = .success(try await body(handle))
        } catch { outcome = .failure(error) }
        let ending = cancellation.end(ticket)
        state.withLock {
            $0.transactionStatus = handle.transactionStatus
            $0.isBroken = handle.isBroken || ending.gaveUp
        }
        if let reason = ending.reason, case .failure(let error) = outcome {
            if ending.gaveUp {
                logger.warning("a cancelled statement went unanswered; the connection was given up",
                               metadata: ["unanswered_for": "\(configuration.unansweredCancelLimit)"])
                throw reason.error
            }
            if let error = error as? PostgresServerError, error.code == .queryCanceled { throw reason.error }
        }
        return try outcome.get()
    }

    /// The server has gone or the connection failed; it cannot be used again.
    public var isBroken: Bool { state.withLock { $0.isBroken || $0.isClosed } }

    /// The connection is inside a transaction block (possibly a failed one).
    public var isInTransaction: Bool {
        state.withLock { $0.transactionStatus != .idle }
    }

    var transactionStatus: TransactionStatus { state.withLock { $0.transactionStatus } }

    /// Whether the session must switch to act as `target`; when it must, the role is unknown
    /// until `endSwitch(to:)` records the switch as done (a rollback undoes a switch).
    /// Outside a transaction only: inside one, the transaction decided its role when it began.
    func beginSwitch(to target: SessionRole) -> Bool {
        state.withLock { state in
            guard state.transactionStatus == .idle, state.sessionRole != target else { return false }
            state.sessionRole = .unknown
            return true
        }
    }

    /// Records that the session now acts as `target`: its switch was committed.
    func endSwitch(to target: SessionRole) {
        state.withLock { $0.sessionRole = target }
    }

    func nextSavepointName() -> String {
        state.withLock {
            $0.savepointCounter += 1
            return "relieflink_savepoint_\($0.savepointCounter)"
        }
    }

    /// Checks an idle connection without a round trip: has the server closed it meanwhile?
    func checkAlive() async -> Bool {
        guard !isBroken else { return false }
        guard socketHasInput(socket) else { return true }
        // Something arrived while idle: an end-of-file, an error, or a notification.
        let alive = (try? await run(cancellable: false, restoringLoginUser: false) { $0.checkAlive() }) ?? false
        if !alive { state.withLock { $0.isBroken = true } }
        return alive
    }

    /// Closes the connection; statements already queued finish first. An operation that takes
    /// several turns (a COPY, a transaction) and has not ended fails at its next turn with
    /// `connectionClosed`.
    public func close() async {
        let alreadyClosed = state.withLock { state in
            defer { state.isClosed = true }
            return state.isClosed
        }
        guard !alreadyClosed else { return }
        _ = try? await run(cancellable: false, restoringLoginUser: false) { handle in handle.close() }
    }

    deinit {
        // Nothing else holds the connection now: an operation in flight would hold it.
        Task(executorPreference: loop) { [handle, cancellation] in
            await cancellation.previousCancelsDelivered()
            handle.close()
        }
    }
}

/// Runs a blocking call on a new thread, which ends with it: for rare calls that libpq offers
/// only blocking (connecting with a time-out).
func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withUnsafeThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
