import Synchronization

/// Lets one operation at a time use a connection, in the order they arrived: libpq takes one
/// command at a time, and a connection may be shared by several tasks. Its lock also hands
/// the connection's memory from one operation's thread to the next one's.
final class ConnectionGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [UnsafeContinuation<Void, Never>] = []
        var next = 0
    }

    private let state = Mutex(State())

    /// Enters when the connection is free, without an await, which costs even when it waits
    /// for nothing; false when another operation holds it: then `enter()`.
    func tryEnter() -> Bool {
        state.withLock { state in
            guard !state.busy else { return false }
            state.busy = true
            return true
        }
    }

    nonisolated(nonsending) func enter() async {
        await withUnsafeContinuation { continuation in
            let entered = state.withLock { state in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if entered { continuation.resume() }
        }
    }

    /// Hands the connection to the operation that waited longest; the gate stays shut for it.
    func leave() {
        let successor = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard state.next < state.waiting.count else {
                state.busy = false
                state.waiting.removeAll(keepingCapacity: true)
                state.next = 0
                return nil
            }
            state.next += 1
            let successor = state.waiting[state.next - 1]
            // Under constant contention the queue may never drain: drop the ones served.
            if state.next >= 32, state.next * 2 >= state.waiting.count {
                state.waiting.removeFirst(state.next)
                state.next = 0
            }
            return successor
        }
        successor?.resume()
    }
}
