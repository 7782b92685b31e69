import Foundation
import Logging
import Postgres
import Synchronization

/// Claims jobs from PostgreSQL and runs them: one loop per queue (woken by NOTIFY, with a
/// slow poll and a timer for the next scheduled job), a completion loop that marks finished
/// jobs in batches, and a maintenance loop (heartbeats, rescue of dead runners' jobs, the
/// leader's periodic jobs and pruning, the watchdog). Several runners share the work.
///
/// Delivery is at least once: a job whose runner dies mid-run runs again, so handlers make
/// their effects idempotent (the SLA handlers record each effect with a unique marker in the
/// transaction that performs it).
public final class JobRunner: Sendable {
    public let id = UUID()
    public let configuration: Configuration
    let pool: ConnectionPool
    let logger: Logger
    let wakes: [String: WakeSignal]
    let completionWake = WakeSignal()
    let maintenanceWake = WakeSignal()
    let state = Mutex(State())
    let clock = ContinuousClock()

    struct State {
        var handlers: [String: Handler] = [:]
        var periodic: [PeriodicJob] = []
        var stopping = false
        /// Grace is over: cancelled jobs are handed back rather than settled.
        var handingBack = false
        var maintenanceStopped = false
        var completionsClosed = false
        var inFlight: [String: Int] = [:]
        var running: [Int64: RunningJob] = [:]
        var pendingCompletions: [Int64] = []
        var flushing: Set<Int64> = []
        var lastTurn: [String: ContinuousClock.Instant] = [:]
        var progressAt = Date()
        var stalledSince: Date?
        var succeeded: Int64 = 0
        var failed: Int64 = 0
        var isLeader = false
    }

    struct RunningJob {
        let job: Job
        let handler: Handler
        let startedAt: ContinuousClock.Instant
        var task: Task<Void, Never>?
    }

    public init(pool: ConnectionPool, configuration: Configuration = Configuration(), logger: Logger) {
        self.pool = pool
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "runner"] = "\(id.uuidString.prefix(8).lowercased())"
        self.logger = logger
        wakes = Dictionary(uniqueKeysWithValues: configuration.queues.keys.map { ($0, WakeSignal()) })
    }

    /// Registers how to run jobs of `handler.kind`; before `run()`.
    public func register(_ handler: Handler) {
        state.withLock { $0.handlers[handler.kind] = handler }
    }

    public func register(kind: String, timeout: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(),
                         _ body: @escaping @Sendable (Job) async throws -> JobOutcome) {
        register(Handler(kind: kind, timeout: timeout, retry: retry, body: body))
    }

    /// Adds a periodic job, enqueued on its schedule by whichever runner leads.
    public func schedule(_ periodic: PeriodicJob) {
        state.withLock { $0.periodic.append(periodic) }
    }

    /// What the watchdog knows: whether a loop or a job has stopped making progress.
    public struct Health: Sendable, Equatable {
        public let stalledSince: Date?
        public let running: Int
        public let isLeader: Bool
    }

    public var health: Health {
        state.withLock { Health(stalledSince: $0.stalledSince, running: $0.running.count, isLeader: $0.isLeader) }
    }

    /// Stops claiming; `run()` then lets in-flight jobs finish within the grace period, hands
    /// back the rest and returns.
    public func shutdown() {
        state.withLock { $0.stopping = true }
        for wake in wakes.values { wake.signal() }
        maintenanceWake.signal()
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Runs until `shutdown()`.
    public func run() async throws {
        let kinds = state.withLock { $0.handlers.keys.sorted() }
        try await pool.execute("""
            INSERT INTO job_queue.runners (id, host, pid, queues)
            VALUES (\(id), \(ProcessInfo.processInfo.hostName), \(Int32(ProcessInfo.processInfo.processIdentifier)),
                    \(configuration.queues.keys.sorted()))
            """)
        let listener = NotificationListener(
            configuration: pool.configuration.connection, logger: logger,
            onReconnect: { [wakes] in for wake in wakes.values { wake.signal() } })
        await listener.listen("job_queue")
        let notifications = Task { [wakes, listener] in
            for await notification in listener.notifications {
                for queue in notification.payload.split(separator: ",") { wakes[String(queue)]?.signal() }
            }
        }
        let completions = Task { await completionLoop() }
        let maintenance = Task { await maintenanceLoop() }
        // Apart from the maintenance loop, which waits on the database like everything else:
        // a runner stuck on the database is noticed while it is stuck.
        let watchdog = Task { await watchdogLoop() }
        logger.info("job runner started", metadata: [
            "queues": "\(configuration.queues.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ","))",
            "kinds": "\(kinds.joined(separator: ","))",
        ])

        await withTaskGroup(of: Void.self) { group in
            for queue in configuration.queues.keys {
                group.addTask { await self.fetchLoop(queue: queue, kinds: kinds) }
            }
        }
        await drain()
        state.withLock { $0.completionsClosed = true }
        completionWake.signal()
        await completions.value
        await handBack()
        state.withLock { $0.maintenanceStopped = true }
        maintenanceWake.signal()
        await maintenance.value
        watchdog.cancel()
        await watchdog.value
        await markStopped()
        listener.close()
        await notifications.value
        logger.info("job runner stopped")
    }

    // MARK: - Claiming

    private func fetchLoop(queue: String, kinds: [String]) async {
        let concurrency = max(configuration.queues[queue] ?? 1, 1)
        let wake = wakes[queue]!
        turned(queue)
        while !isStopping {
            let free = state.withLock { concurrency - $0.inFlight[queue, default: 0] }
            var timeout = configuration.pollInterval
            // A loop turns when it asks the database and is answered, or has nothing to ask
            // for (its slots are busy, and running jobs are watched on their own): one whose
            // claims keep failing or hanging makes no progress, whatever it tries.
            if free <= 0 { turned(queue) }
            if free > 0 {
                let asked = min(free, configuration.claimBatch)
                do {
                    let jobs = try await claim(queue: queue, kinds: kinds, limit: asked)
                    turned(queue)
                    for job in jobs { start(job) }
                    if jobs.count == asked { continue }  // there may be more
                    if let next = try await pool.query(RunnerStatements.nextScheduled(queue: queue, kinds: kinds)).scalar(Date?.self) ?? nil {
                        let untilNext = Duration.milliseconds(Int64(next.timeIntervalSinceNow * 1000))
                        timeout = min(timeout, max(untilNext, .milliseconds(5)))
                    }
                } catch {
                    logger.warning("claiming failed; trying again", metadata: ["queue": "\(queue)", "error": "\(error)"])
                    timeout = .seconds(1)
                }
            }
            await wake.wait(timeout: timeout)
        }
    }

    private func turned(_ queue: String) {
        state.withLock { state in
            state.lastTurn[queue] = clock.now
            state.progressAt = Date()
        }
    }

    private func claim(queue: String, kinds: [String], limit: Int) async throws -> [Job] {
        guard !kinds.isEmpty else { return [] }
        return try await pool.query(RunnerStatements.claim(queue: queue, kinds: kinds, limit: limit, runner: id)).map { row in
            let (id, kind, queue, payload, attempt, maxAttempts, tenant, runAt, createdAt) =
                try row.decode((Int64, String, String, String, Int32, Int32, UUID?, Date, Date).self)
            return Job(id: id, kind: kind, queue: queue, payload: payload, attempt: Int(attempt),
                       maxAttempts: Int(maxAttempts), tenant: tenant, runAt: runAt, createdAt: createdAt)
        }
    }

    // MARK: - Running

    private func start(_ job: Job) {
        state.withLock { state in
            guard let handler = state.handlers[job.kind] else { return }
            state.inFlight[job.queue, default: 0] += 1
            state.running[job.id] = RunningJob(job: job, handler: handler, startedAt: clock.now)
            state.running[job.id]?.task = Task { await self.execute(job, handler) }
        }
    }

    private func execute(_ job: Job, _ handler: Handler) async {
        let result = await Self.run(handler, job)
        let handingBack = state.withLock { $0.handingBack }
        switch result {
        case .success(.done):
            state.withLock { state in
                state.succeeded += 1
                state.pendingCompletions.append(job.id)
            }
            completionWake.signal()
        case .success(.snooze(let until)):
            await settleOutsideTask(job, error: nil, permanent: false, retryAfter: .zero, snoozeUntil: until)
        case .failure where handingBack:
            break  // handed back with the others; the attempt does not count
        case .failure(let error):
            state.withLock { $0.failed += 1 }
            let permanent = error is PermanentJobFailure
            let delay = handler.retry.delay(afterAttempt: job.attempt)
            logger.warning("job failed", metadata: [
                "job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempt)/\(job.maxAttempts)",
                "error": "\(error)",
            ])
            await settleOutsideTask(job, error: String(String(describing: error).prefix(2000)), permanent: permanent,
                                    retryAfter: delay, snoozeUntil: nil)
        }
        state.withLock { state in
            state.inFlight[job.queue, default: 1] -= 1
            state.running[job.id] = nil
            state.progressAt = Date()
        }
        wakes[job.queue]?.signal()
    }

    /// Runs the handler under its kind's time-out.
    private static func run(_ handler: Handler, _ job: Job) async -> Result<JobOutcome, Error> {
        await withTaskGroup(of: Result<JobOutcome, Error>?.self) { group in
            group.addTask {
                do { return .success(try await handler.body(job)) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: handler.timeout)
                return Task.isCancelled ? nil : .failure(JobTimedOut(limit: handler.timeout))
            }
            var outcome: Result<JobOutcome, Error>?
            while outcome == nil, let next = await group.next() {
                outcome = next
                group.cancelAll()
            }
            return outcome ?? .failure(CancellationError())
        }
    }

    /// `settle` in a task of its own: the job's task may have been cancelled (a cancel
    /// request, a time-out), and the record of how it ended must not be cancelled with it.
    private func settleOutsideTask(_ job: Job, error: String?, permanent: Bool, retryAfter: Duration, snoozeUntil: Date?) async {
        await Task {
            await self.settle(job, error: error, permanent: permanent, retryAfter: retryAfter, snoozeUntil: snoozeUntil)
        }.value
    }

    /// Records a run that did not succeed. If the database cannot be reached, the job is left
    /// to the rescue: its heartbeat stops, and it runs again once it counts as dead.
    private func settle(_ job: Job, error: String?, permanent: Bool, retryAfter: Duration, snoozeUntil: Date?) async {
        do {
            let state = try await pool.query(RunnerStatements.settle(
                job.id, runner: id, error: error, permanent: permanent, retryAfter: retryAfter, snoozeUntil: snoozeUntil
            )).scalar(String.self)
            if state == "failed" {
                logger.error("job failed for good", metadata: ["job": "\(job.id)", "kind": "\(job.kind)", "error": "\(error ?? "")"])
            }
        } catch {
            logger.warning("could not record a job's run; it will be rescued", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    // MARK: - Completions

    /// Marks finished jobs in batches: what finishes while one batch is written joins the next.
    private func completionLoop() async {
        while true {
            let (batch, closed) = state.withLock { state in
                let batch = state.pendingCompletions
                state.pendingCompletions.removeAll(keepingCapacity: true)
                state.flushing = Set(batch)
                return (batch, state.completionsClosed)
            }
            if !batch.isEmpty {
                do {
                    try await pool.execute(RunnerStatements.complete(batch, runner: id))
                } catch {
                    logger.warning("could not mark finished jobs; they will be rescued and run again",
                                   metadata: ["jobs": "\(batch.count)", "error": "\(error)"])
                }
                state.withLock { $0.flushing.removeAll() }
                continue
            }
            if closed { return }
            await completionWake.wait(timeout: .seconds(1))
        }
    }

    // MARK: - Shutdown

    /// Waits for in-flight jobs up to the grace period, then cancels them for handing back.
    private func drain() async {
        let deadline = clock.now + configuration.shutdownGrace
        while clock.now < deadline, state.withLock({ !$0.running.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let unfinished = state.withLock { state -> [Task<Void, Never>] in
            state.handingBack = true
            return state.running.values.compactMap(\.task)
        }
        guard !unfinished.isEmpty else { return }
        logger.warning("grace period over; handing back unfinished jobs", metadata: ["jobs": "\(unfinished.count)"])
        for task in unfinished { task.cancel() }
        let cancelDeadline = clock.now + .seconds(5)
        while clock.now < cancelDeadline, state.withLock({ !$0.running.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func handBack() async {
        do {
            let returned = try await pool.query(RunnerStatements.handBack(runner: id)).scalar(Int.self) ?? 0
            if returned > 0 { logger.info("handed back unfinished jobs", metadata: ["jobs": "\(returned)"]) }
        } catch {
            logger.warning("could not hand back jobs; they will be rescued", metadata: ["error": "\(error)"])
        }
    }

    private func markStopped() async {
        do {
            let (succeeded, failed) = state.withLock { ($0.succeeded, $0.failed) }
            try await pool.execute("""
                UPDATE job_queue.runners SET stopped_at = now(), heartbeat_at = now(), succeeded = \(succeeded), failed = \(failed)
                WHERE id = \(id)
                """)
            try await pool.execute("DELETE FROM job_queue.leases WHERE holder = \(id)")
        } catch {
            logger.warning("could not record the runner's stop", metadata: ["error": "\(error)"])
        }
    }
}
