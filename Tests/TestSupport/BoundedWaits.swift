import Foundation
import Synchronization

// Bounded waits shared by the suites: a hang fails the test instead of stalling the run, and
// no wait asserts a speed a loaded CI machine could miss.

/// Polls `condition` until it holds or `limit` has passed; returns whether it held.
public func eventually(
    within limit: Duration = .seconds(30),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while true {
        if try await condition() { return true }
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "did not finish within \(limit)" }
}

/// Runs `body` and returns its value, or throws `DeadlineExceeded` once `limit` has passed
/// (cancelling `body` and not waiting for it, so a hang fails the test instead of stalling it).
public func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let once = ResumeOnce(continuation)
        let work = Task {
            do { once.resume(with: .success(try await body())) } catch { once.resume(with: .failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            if once.resume(with: .failure(DeadlineExceeded(limit: limit))) { work.cancel() }
        }
    }
}

/// The result of a task, or `DeadlineExceeded` if it does not end within `limit`.
public func result<T: Sendable>(of task: Task<T, Error>, within limit: Duration) async throws -> Result<T, Error> {
    try await withDeadline(limit) { await task.result }
}

private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Error>?>

    init(_ continuation: CheckedContinuation<T, Error>) {
        self.continuation = Mutex(continuation)
    }

    @discardableResult
    func resume(with result: Result<T, Error>) -> Bool {
        let taken = continuation.withLock { stored -> CheckedContinuation<T, Error>? in
            defer { stored = nil }
            return stored
        }
        taken?.resume(with: result)
        return taken != nil
    }
}

/// Runs blocking calls (a raw socket, a process's exit) on a thread of their own, never on
/// Swift's cooperative threads: there are as few as cores, and the suites' tasks, the servers
/// under test among them, all run on them.
public func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// Waits for `process` to end, on a thread of its own (`waitUntilExit` blocks its thread).
public func waitForExit(of process: Process) async {
    let process = UncheckedSendable(process)
    _ = try? await onThreadOfItsOwn { process.value.waitUntilExit() }
}

/// Hands a `Process`, which is not `Sendable`, to the thread that waits for it: `waitUntilExit`
/// is safe from any thread.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
