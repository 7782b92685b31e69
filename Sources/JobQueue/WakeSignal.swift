import Synchronization

/// Wakes one waiting loop: a signal while nobody waits is kept until the next wait, and many
/// signals before that wait count as one.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var waitNumber: UInt64 = 0
        /// The wait whose time ran out before it had stored its continuation.
        var expired: UInt64 = 0
    }
    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on a signal, or after `timeout`.
    func wait(timeout: Duration) async {
        let number: UInt64? = state.withLock { state in
            if state.pending {
                state.pending = false
                return nil
            }
            state.waitNumber += 1
            return state.waitNumber
        }
        guard let number else { return }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard state.waitNumber == number else { return nil }
                guard let waiter = state.waiter else {
                    state.expired = number
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending || state.expired == number {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }
}
