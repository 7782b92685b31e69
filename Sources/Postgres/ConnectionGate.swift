/// Lets one operation at a time use a connection, in the order they arrived: libpq takes one
/// command at a time, and a connection may be shared by several tasks.
///
/// Used on the connection's event loop only, so it needs no lock.
final class ConnectionGate: @unchecked Sendable {
    private var busy = false
    private var waiting: [UnsafeContinuation<Void, Never>] = []
    private var next = 0

    /// Enters when the connection is free, without an await, which costs even when it waits
    /// for nothing; false when another operation holds it: then `enter()`.
    func tryEnter() -> Bool {
        guard !busy else { return false }
        busy = true
        return true
    }

    nonisolated(nonsending) func enter() async {
        guard !tryEnter() else { return }
        await withUnsafeContinuation { waiting.append($0) }
    }

    /// Hands the connection to the operation that waited longest; the gate stays shut for it.
    func leave() {
        guard next < waiting.count else {
            busy = false
            waiting.removeAll(keepingCapacity: true)
            next = 0
            return
        }
        next += 1
        waiting[next - 1].resume()
    }
}
