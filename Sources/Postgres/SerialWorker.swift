import Foundation

/// One OS thread that runs a connection's blocking libpq calls, one after another.
///
/// libpq blocks its caller while it waits for the server. Swift's cooperative thread pool has
/// as many threads as cores, so one blocked thread there stalls a share of the whole server.
/// Each connection therefore owns a thread of its own.
///
/// The worker is also a `TaskExecutor`: code that borrows a connection from the pool runs on
/// the connection's own thread (`withTaskExecutorPreference`), so its statements execute
/// there directly, without a hop to another thread and back for each one.
final class SerialWorker: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [() -> Void] = []
    private var stopping = false
    /// Set once, before `init` returns.
    private var thread: pthread_t

    init(name: String) {
        let started = DispatchSemaphore(value: 0)
        let box = ThreadBox()
        let thread = Thread { [box] in
            // For ps, top and perf. Foundation's `name` reaches the OS thread only some of the time.
            _ = setThreadName(pthread_self(), String(name.prefix(15)))
            box.value = pthread_self()
            started.signal()
            box.worker?.loop()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        self.thread = pthread_self()
        box.worker = self
        thread.start()
        started.wait()
        self.thread = box.value!
    }

    /// Whether the caller runs on this worker's thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Runs `body` on the worker thread and returns its result to the awaiting task; runs it
    /// at once when the task already runs there.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isCurrent { return try body() }
        return try await withUnsafeThrowingContinuation { continuation in
            let accepted = submit {
                continuation.resume(with: Result { try body() })
            }
            if !accepted {
                continuation.resume(throwing: PostgresError.connectionClosed)
            }
        }
    }

    /// Queues `job`; false when the worker is stopping and the job will never run.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        if !submit({ job.runSynchronously(on: executor) }) {
            // Stopped: a task that still prefers this executor must run somewhere.
            Thread.detachNewThread { job.runSynchronously(on: executor) }
        }
    }

    /// Lets queued jobs finish, then ends the thread.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping {
                condition.wait()
            }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }
}

/// glibc's pthread_setname_np, which the Glibc module hides (it is a GNU extension).
@_silgen_name("pthread_setname_np")
private func setThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32

/// Hands the new thread its worker and the worker its thread id, during `init` only.
private final class ThreadBox: @unchecked Sendable {
    var value: pthread_t?
    var worker: SerialWorker?
}
