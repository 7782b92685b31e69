import CLibPQ
import Foundation

/// Cancels a connection's running statement on the server, and only that statement.
///
/// Each statement gets a ticket. A cancel names its ticket: if that statement is running, a
/// cancel request goes to the server; if it has not started, it will not start; if it has
/// finished, nothing happens. The next statement waits until a cancel in flight has been
/// delivered, so a late cancel can never hit it.
final class CancelCoordinator: @unchecked Sendable {
    enum Reason: Sendable {
        case task
        case timeout(Duration)
    }

    private let condition = NSCondition()
    private let cancelHandle: OpaquePointer?
    // Guarded by `condition`.
    private var nextTicket: UInt64 = 0
    private var pending: Set<UInt64> = []
    private var running: UInt64?
    private var reasons: [UInt64: Reason] = [:]
    private var cancelsInFlight = 0

    /// How long a statement may go on after a cancel before the cancel is sent again, and how
    /// often: a statement that ignores 600 cancels over a minute is left to its time-out.
    static let cancelRetryInterval: TimeInterval = 0.1
    static let maximumCancelAttempts = 600

    init(connection: OpaquePointer) {
        cancelHandle = PQgetCancel(connection)
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
    }

    func newTicket() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        nextTicket += 1
        pending.insert(nextTicket)
        return nextTicket
    }

    /// Called on the event loop just before the statement runs. False while a cancel of an
    /// earlier statement is still being delivered (a late cancel must not hit this one): then
    /// `pause()` and ask again. Throws if this statement was cancelled already.
    func begin(_ ticket: UInt64) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard cancelsInFlight == 0 else { return false }
        if let reason = reasons.removeValue(forKey: ticket) {
            pending.remove(ticket)
            throw reason.error
        }
        running = ticket
        return true
    }

    /// Called on the event loop when the statement ended; the reason it was cancelled, if it was.
    func end(_ ticket: UInt64) -> Reason? {
        condition.lock()
        defer { condition.unlock() }
        if running == ticket {
            running = nil
            condition.broadcast()
        }
        pending.remove(ticket)
        return reasons.removeValue(forKey: ticket)
    }

    /// Forgets a ticket whose statement was never submitted.
    func discard(_ ticket: UInt64) {
        _ = end(ticket)
    }

    func cancel(_ ticket: UInt64, reason: Reason) {
        condition.lock()
        guard pending.contains(ticket), reasons[ticket] == nil else {
            condition.unlock()
            return
        }
        reasons[ticket] = reason
        guard running == ticket, let cancelHandle else {
            condition.unlock()
            return
        }
        cancelsInFlight += 1
        condition.unlock()
        // PQcancel opens a connection of its own and waits for the server: never on the caller's thread.
        // A cancel that reaches the server before the statement does cancels nothing, so it is
        // sent again until the statement has ended (the next one cannot start meanwhile).
        let handle = UnsafeSendable(cancelHandle)
        Thread.detachNewThread { [self] in
            var errorBuffer = [CChar](repeating: 0, count: 256)
            for _ in 0..<Self.maximumCancelAttempts {
                _ = PQcancel(handle.value, &errorBuffer, Int32(errorBuffer.count))
                condition.lock()
                let deadline = Date().addingTimeInterval(Self.cancelRetryInterval)
                while running == ticket, condition.wait(until: deadline) {}
                let ended = running != ticket
                condition.unlock()
                if ended { break }
            }
            condition.lock()
            cancelsInFlight -= 1
            condition.unlock()
        }
    }

    /// Waits until cancel requests still being delivered have been, before the connection
    /// closes.
    func previousCancelsDelivered() async {
        while hasCancelsInFlight { await Self.pause() }
    }

    private var hasCancelsInFlight: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelsInFlight > 0
    }

    /// A millisecond's sleep that blocks nothing: the waiting runs on an event loop other
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
