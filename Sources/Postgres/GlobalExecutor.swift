import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs Swift concurrency's global executor on the database event loops, as pgbench runs its
/// clients on the threads that wait for the server.
///
/// Without it, every statement a task runs costs two thread switches: to the connection's
/// loop, and back to one of the global executor's threads, which first has to be woken. On a
/// small machine those wake-ups cost more than the statement. With it, a task that the global
/// executor would run goes to the loop it was enqueued from (or, from any other thread, to the
/// loops in turn), a pooled connection on that same loop is preferred, and a statement's round
/// trip stays on one thread.
///
/// Delayed jobs (`Task.sleep`) stay with the platform's executor until they are due. Code that
/// blocks its thread holds up the loop's connections meanwhile, as it would hold up one of the
/// global executor's few threads: blocking work belongs on a thread of its own, as before.
public enum GlobalExecutor {
    private static let installed = Atomic<Bool>(false)

    /// Whether the caller runs on one of the database event loops' threads.
    public static var isRunningOnEventLoop: Bool { PostgresEventLoop.current != nil }

    /// Installs the hook: once per process, before the work it should carry starts. Answers
    /// false when the runtime offers no hook, or something else took it already; Swift's own
    /// executor then stays in place.
    @discardableResult
    public static func runOnDatabaseEventLoops() -> Bool {
        guard installed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return true }
        // The runtime calls `swift_task_enqueueGlobal_hook`, when set, for every job of the global
        // executor (`swift/Runtime/Concurrency.h`). Its type is the C function pointer below; the
        // original implementation it is handed goes unused. SwiftNIO installs its own loops the same way.
        typealias EnqueueHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void
        guard let slot = dlsym(dlopen(nil, RTLD_NOW), "swift_task_enqueueGlobal_hook") else { return false }
        let hook: EnqueueHook = { job, _ in (PostgresEventLoop.current ?? PostgresEventLoop.next()).enqueueGlobal(job) }
        return withUnsafeTemporaryAllocation(of: EnqueueHook.self, capacity: 1) { buffer in
            buffer.baseAddress!.initialize(to: hook)
            let function = buffer.baseAddress!.withMemoryRebound(to: UnsafeRawPointer.self, capacity: 1) { $0.pointee }
            let pointer = slot.assumingMemoryBound(to: UnsafeRawPointer?.self)
            guard pointer.pointee == nil else { return false }
            pointer.pointee = function
            return true
        }
    }
}
