import CLibPQ
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cancels a connection's running statement on the server, and only that statement.
///
/// Each statement gets a ticket. A cancel names its ticket: if that statement is running, a
/// cancel request goes to the server; if it has not started, it will not start; if it has
/// finished, nothing happens. The next statement waits until a cancel in flight has been
/// delivered, so a late cancel can never hit it. A running statement still unanswered
/// `unansweredLimit` after its cancel is given up: its connection's socket is shut down.
final class CancelCoordinator: Sendable {
    enum Reason: Sendable {
        case task
        case timeout(Duration)
    }

    private struct State {
        var nextTicket: UInt64 = 0
        /// Tickets issued and not yet ended: one, mostly (a connection shared by several tasks
        /// has more), so an array searched from the end costs less than a set.
        var pending: [UInt64] = []
        var running: UInt64?
        /// Why a pending ticket was cancelled; empty but for a cancel.
        var reasons: [UInt64: Reason] = [:]
        var cancelsInFlight = 0
        /// The running statement whose connection was given up.
        var gaveUp: UInt64?

        mutating func forget(_ ticket: UInt64) -> Reason? {
            if let index = pending.lastIndex(of: ticket) { pending.remove(at: index) }
            return reasons.isEmpty ? nil : reasons.removeValue(forKey: ticket)
        }
    }

    // Every statement takes this lock three times: a Mutex, cheaper than a condition variable.
    // The rare cancel thread polls for the statement's end instead of waiting on a condition.
    private let state = Mutex(State())
    private let cancelHandle: UnsafeSendable<OpaquePointer?>
    private let socket: Int32
    private let unansweredLimit: Duration

    /// How long a statement may go on after a cancel before the cancel is sent again, and how
    /// often; one that ignores them past `unansweredLimit` is given up before the 600th.
    static let cancelRetryInterval: Duration = .milliseconds(100)
    static let maximumCancelAttempts = 600
    /// How often a cancel that was sent looks whether its statement has ended.
    private static let endCheckInterval: TimeInterval = 0.001

    init(connection: OpaquePointer, socket: Int32, unansweredLimit: Duration) {
        cancelHandle = UnsafeSendable(PQgetCancel(connection))
        self.socket = socket
        self.unansweredLimit = unansweredLimit
    }

    deinit {
        if let handle = cancelHandle.value { PQfreeCancel(handle) }
    }

    func newTicket() -> UInt64 {
        state.withLock { state in
            state.nextTicket += 1
            state.pending.append(state.nextTicket)
            return state.nextTicket
        }
    }

    /// Called just before the statement runs. False while a cancel of an
    /// earlier statement is still being delivered (a late cancel must not hit this one): then
    /// `pause()` and ask again. Throws if this statement was cancelled already.
    func begin(_ ticket: UInt64) throws -> Bool {
        try state.withLock { state in
            guard state.cancelsInFlight == 0 else { return false }
            if !state.reasons.isEmpty, let reason = state.reasons[ticket] {
                _ = state.forget(ticket)
                throw reason.error
            }
            state.running = ticket
            return true
        }
    }

    /// How a statement ended, as far as cancelling goes.
    struct Ending {
        /// Why it was cancelled, if it was.
        var reason: Reason?
        /// Its cancel went unanswered, and its connection was given up.
        var gaveUp: Bool
    }

    /// Called when the statement ended.
    func end(_ ticket: UInt64) -> Ending {
        state.withLock { state in
            let gaveUp = state.gaveUp == ticket
            if gaveUp { state.gaveUp = nil }
            if state.running == ticket { state.running = nil }
            return Ending(reason: state.forget(ticket), gaveUp: gaveUp)
        }
    }

    func cancel(_ ticket: UInt64, reason: Reason) {
        let send = state.withLock { state -> Bool in
            guard state.pending.contains(ticket), state.reasons[ticket] == nil else { return false }
            state.reasons[ticket] = reason
            guard state.running == ticket, cancelHandle.value != nil else { return false }
            state.cancelsInFlight += 1
            return true
        }
        guard send else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(max(0, unansweredLimit.milliseconds)))) { [self] in
            giveUpIfRunning(ticket)
        }
        // PQcancel opens a connection of its own and waits for the server: never on the caller's thread.
        // A cancel that reaches the server before the statement does cancels nothing, so it is
        // sent again until the statement has ended (the next one cannot start meanwhile).
        Thread.detachNewThread { [self] in
            var errorBuffer = [CChar](repeating: 0, count: 256)
            attempts: for _ in 0..<Self.maximumCancelAttempts {
                // Ended during the last wait: a cancel now would reach an idle session for nothing.
                guard isRunning(ticket) else { break }
                _ = PQcancel(cancelHandle.value, &errorBuffer, Int32(errorBuffer.count))
                let retry = ContinuousClock.now + Self.cancelRetryInterval
                while ContinuousClock.now < retry {
                    if !isRunning(ticket) { break attempts }
                    Thread.sleep(forTimeInterval: Self.endCheckInterval)
                }
            }
            state.withLock { $0.cancelsInFlight -= 1 }
        }
    }

    /// Shuts the socket of a statement still running long after its cancel: the server, or
    /// the way to it, has stopped answering. The statement's wait then ends with the
    /// connection lost. Done under the lock, while the statement still holds its connection,
    /// so the socket cannot have been closed and handed to another connection meanwhile.
    private func giveUpIfRunning(_ ticket: UInt64) {
        state.withLock { state in
            guard state.running == ticket else { return }
            state.gaveUp = ticket
            _ = shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    private func isRunning(_ ticket: UInt64) -> Bool {
        state.withLock { $0.running == ticket }
    }

    /// Waits until cancel requests still being delivered have been, before the connection
    /// closes.
    func previousCancelsDelivered() async {
        while state.withLock({ $0.cancelsInFlight > 0 }) { await Self.pause() }
    }

    /// A millisecond's sleep that blocks nothing: the waiting may run on an event loop other
    /// connections share, and a cancel request may take as long as connecting to the server.
    /// Not Task.sleep: it returns at once for a cancelled task, which would spin.
    static func pause() async {
        await withUnsafeContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) { continuation.resume() }
        }
    }
}

extension CancelCoordinator.Reason {
    var error: Error {
        switch self {
        case .task: CancellationError()
        case .timeout(let limit): PostgresError.statementTimeout(limit)
        }
    }
}

struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
