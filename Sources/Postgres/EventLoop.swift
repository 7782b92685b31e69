import Foundation
import Synchronization

/// A thread that waits on many connections' sockets at once, as pgbench's threads do.
///
/// libpq runs in non-blocking mode on the thread of the task issuing a statement: the
/// statement is sent, its answer read if it is already there, and only when it is not does the
/// task suspend until this loop's one `poll` over all its connections sees the socket ready.
/// Under load one wake-up serves several connections. A waiting task is resumed on its own
/// executor; code that runs on the loop itself (`withTaskExecutorPreference`) is resumed here
/// and pays no thread switch per statement. Nothing here blocks: a slow statement holds up
/// only the task awaiting it.
///
/// A process has one loop per core (`next()`); they live as long as the process.
final class PostgresEventLoop: TaskExecutor, @unchecked Sendable {
    private static let loops: [PostgresEventLoop] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map {
        PostgresEventLoop(name: "relieflink-pg-\($0)")
    }
    private static let counter = Atomic<Int>(0)

    /// The loop for a new connection: connections are spread over the loops in turn.
    static func next() -> PostgresEventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    private struct Queue {
        var jobs: [UnownedJob] = []
        /// Waits asked for from other threads, for the loop to add to its own.
        var arrivals: [Waiter] = []
        /// The loop is in (or about to enter) a `poll` without time-out: a new job, or a wait
        /// handed over from another thread, must wake it.
        var sleeping = false
    }

    private struct Waiter {
        let socket: Int32
        let events: Int16
        let continuation: UnsafeContinuation<Int16, Never>
    }

    private let queue = Mutex(Queue())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Set once, before `init` returns.
    private var thread: pthread_t
    // Touched on the loop's thread only.
    private var waiters: [Waiter] = []
    private var descriptors: [pollfd] = []

    private init(name: String) {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "cannot create a pipe")
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)  // a full pipe is a wake-up already
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        thread = pthread_self()
        let started = DispatchSemaphore(value: 0)
        let box = LoopBox()
        let thread = Thread { [box] in
            // For ps, top and perf. Foundation's `name` reaches the OS thread only some of the time.
            _ = setThreadName(pthread_self(), String(name.prefix(15)))
            box.thread = pthread_self()
            started.signal()
            box.loop?.run()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        box.loop = self
        thread.start()
        started.wait()
        self.thread = box.thread!
    }

    /// Whether the caller runs on this loop's thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Suspends the calling task until `socket` is ready for `events` (`POLLIN`, `POLLOUT`);
    /// returns what it is ready for, hang-up and errors included. A task on another thread
    /// hands its wait over through the queue, as a job is.
    nonisolated(nonsending) func wait(for events: Int16, on socket: Int32) async -> Int16 {
        await withUnsafeContinuation { continuation in
            let waiter = Waiter(socket: socket, events: events, continuation: continuation)
            if isCurrent {
                waiters.append(waiter)
            } else {
                addToQueue { $0.arrivals.append(waiter) }
            }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        addToQueue { $0.jobs.append(job) }
    }

    /// Adds to the queue from any thread, and wakes the loop if it sleeps.
    private func addToQueue(_ add: (inout Queue) -> Void) {
        let wake = queue.withLock { queue in
            add(&queue)
            defer { queue.sleeping = false }
            return queue.sleeping
        }
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        var batch: [UnownedJob] = []
        var drain = [UInt8](repeating: 0, count: 64)
        while true {
            queue.withLock { swap(&batch, &$0.jobs) }
            for job in batch { job.runSynchronously(on: executor) }
            batch.removeAll(keepingCapacity: true)

            // With jobs queued meanwhile, only look at the sockets; else sleep until a socket or
            // a new job wakes us. Either way one poll per turn: a turn is a few syscalls, as pgbench's.
            let idle = queue.withLock { queue in
                if !queue.arrivals.isEmpty {
                    waiters.append(contentsOf: queue.arrivals)
                    queue.arrivals.removeAll(keepingCapacity: true)
                }
                queue.sleeping = queue.jobs.isEmpty
                return queue.sleeping
            }
            descriptors.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            for waiter in waiters {
                descriptors.append(pollfd(fd: waiter.socket, events: waiter.events, revents: 0))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), idle ? -1 : 0)
            if idle { queue.withLock { $0.sleeping = false } }
            guard ready > 0 else { continue }
            if descriptors[0].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            // Resume from the back, so removing one leaves the indexes still to visit intact.
            for index in stride(from: waiters.count - 1, through: 0, by: -1) {
                let revents = descriptors[index + 1].revents
                guard revents != 0 else { continue }
                waiters.remove(at: index).continuation.resume(returning: revents)
            }
        }
    }
}

/// glibc's pthread_setname_np, which the Glibc module hides (it is a GNU extension).
@_silgen_name("pthread_setname_np")
private func setThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32

/// Hands the new thread its loop and the loop its thread id, during `init` only.
private final class LoopBox: @unchecked Sendable {
    var thread: pthread_t?
    var loop: PostgresEventLoop?
}
