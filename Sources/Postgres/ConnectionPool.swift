import Logging
import Synchronization

/// A bounded set of connections shared by many tasks.
///
/// A task borrows a connection for one unit of work (`withConnection`, `transaction`) and
/// gives it back. When all are lent, tasks wait in order, up to `acquireTimeout`. A connection
/// that broke, or that was handed back inside a transaction, is closed instead of reused, and
/// a new one is opened when needed, so the pool recovers by itself after a server restart.
public final class ConnectionPool: Sendable {
    public struct Configuration: Sendable {
        public var connection: ConnectionConfiguration
        public var maximumConnections: Int
        public var acquireTimeout: Duration

        public init(connection: ConnectionConfiguration, maximumConnections: Int = 10, acquireTimeout: Duration = .seconds(10)) {
            self.connection = connection
            self.maximumConnections = max(1, maximumConnections)
            self.acquireTimeout = acquireTimeout
        }
    }

    public struct Statistics: Sendable, Equatable {
        public var idle: Int
        public var leased: Int
        public var waiting: Int
    }

    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())

    /// What a waiting task is given: a connection someone returned, or room to open one.
    private enum Handoff: Sendable {
        case connection(PostgresConnection)
        case room
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Handoff, Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        /// Idle, lent and being opened.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []

        mutating func removeWaiter(_ id: UInt64) -> Waiter? {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index)
        }
    }

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "relieflink.postgres.pool")) {
        self.configuration = configuration
        self.logger = logger
    }

    public var statistics: Statistics {
        state.withLock { Statistics(idle: $0.idle.count, leased: $0.open - $0.idle.count, waiting: $0.waiters.count) }
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    ///
    /// A body that runs many statements can run on the connection's event loop with
    /// `withTaskExecutorPreference(connection.executor)` and skip a thread switch for each
    /// statement whose answer it waits for; it is not the default because request code would
    /// then hold up every other connection of that loop while it computes.
    public func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
    }

    /// Runs `body` in a transaction on a pooled connection, acting as `role` (nil: the login
    /// user; see `PostgresConnection.transaction(isolation:readOnly:actingAs:_:)`). With
    /// `retries` > 0, a transaction that fails with a serialization failure or deadlock is run
    /// again from the start.
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        actingAs role: String? = nil,
        retries: Int = 0,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.transaction(isolation: isolation, readOnly: readOnly, actingAs: role, body)
                }
            } catch let error as PostgresServerError where error.code.isTransient && attempt < retries {
                attempt += 1
                logger.debug("retrying transaction", metadata: ["sqlstate": "\(error.code)", "attempt": "\(attempt)"])
            }
        }
    }

    @discardableResult
    public func query(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> PostgresResult {
        try await withConnection { try await $0.query(query, timeout: timeout) }
    }

    @discardableResult
    public func execute(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> Int {
        try await withConnection { try await $0.execute(query, timeout: timeout) }
    }

    private enum Decision {
        case reuse(PostgresConnection)
        case open
        case wait(UInt64)
    }

    func acquire() async throws -> PostgresConnection {
        while true {
            let decision: Decision = try state.withLock { state in
                guard !state.isClosed else { throw ConnectionPoolError.closed }
                if let connection = state.idle.popLast() { return .reuse(connection) }
                if state.open < configuration.maximumConnections {
                    state.open += 1
                    return .open
                }
                state.nextWaiterID += 1
                return .wait(state.nextWaiterID)
            }
            let handoff: Handoff
            switch decision {
            case .reuse(let connection): handoff = .connection(connection)
            case .open: handoff = .room
            case .wait(let id): handoff = try await wait(id)
            }
            switch handoff {
            case .connection(let connection):
                if await connection.checkAlive() { return connection }
                logger.info("discarding a dead pooled connection", metadata: ["pg_pid": "\(connection.backendPID)"])
                discard(connection)
            case .room:
                return try await open()
            }
        }
    }

    private func open() async throws -> PostgresConnection {
        do {
            let connection = try await PostgresConnection.connect(configuration.connection, logger: logger)
            if state.withLock({ $0.isClosed }) {
                discard(connection)
                throw ConnectionPoolError.closed
            }
            return connection
        } catch {
            roomFreed()
            throw error
        }
    }

    private func wait(_ id: UInt64) async throws -> Handoff {
        let timeout = configuration.acquireTimeout
        let maximum = configuration.maximumConnections
        let timer = Task(executorPreference: globalConcurrentExecutor) { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            state.withLock { $0.removeWaiter(id) }?.continuation.resume(
                throwing: ConnectionPoolError.timedOut(after: timeout, maximumConnections: maximum))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let closed = state.withLock { state in
                    guard !state.isClosed else { return true }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if closed { continuation.resume(throwing: ConnectionPoolError.closed) }
            }
        } onCancel: { [self] in
            state.withLock { $0.removeWaiter(id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Takes a connection back: to the next waiting task, to the idle set, or closed when it
    /// is broken, still inside a transaction, or the pool is closing.
    func release(_ connection: PostgresConnection) {
        if connection.isBroken || connection.isInTransaction {
            if connection.isInTransaction && !connection.isBroken {
                logger.warning("a connection was returned inside a transaction; closing it")
            }
            discard(connection)
            return
        }
        enum Outcome { case handTo(Waiter), kept, closing }
        let outcome: Outcome = state.withLock { state in
            if state.isClosed { return .closing }
            if !state.waiters.isEmpty { return .handTo(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .kept
        }
        switch outcome {
        case .handTo(let waiter): waiter.continuation.resume(returning: .connection(connection))
        case .closing: discard(connection)
        case .kept: break
        }
    }

    private func discard(_ connection: PostgresConnection) {
        Task(executorPreference: globalConcurrentExecutor) { await connection.close() }
        roomFreed()
    }

    /// A connection was closed or never opened: give its room to the next waiter.
    private func roomFreed() {
        let (waiter, closeWaiters): (Waiter?, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            state.open -= 1
            if !state.isClosed, !state.waiters.isEmpty {
                state.open += 1
                return (state.waiters.removeFirst(), [])
            }
            if state.isClosed, state.open == 0 {
                defer { state.closeWaiters = [] }
                return (nil, state.closeWaiters)
            }
            return (nil, [])
        }
        waiter?.continuation.resume(returning: .room)
        closeWaiters.forEach { $0.resume() }
    }

    /// Refuses new work, fails waiting tasks, closes idle connections and waits for lent ones
    /// to come back.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        waiters.forEach { $0.continuation.resume(throwing: ConnectionPoolError.closed) }
        for connection in idle {
            await connection.close()
            roomFreed()
        }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.open == 0 { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

public enum ConnectionPoolError: Error, Sendable, CustomStringConvertible {
    case timedOut(after: Duration, maximumConnections: Int)
    case closed

    public var description: String {
        switch self {
        case .timedOut(let after, let maximum):
            "no database connection became free within \(after) (all \(maximum) in use)"
        case .closed:
            "the connection pool is closed"
        }
    }
}
