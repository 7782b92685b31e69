import ArgumentParser
import Foundation
import JobQueue
import LocalPostgres
import Logging
import Postgres
import ReliefStore
import Synchronization

/// `relieflink bench jobs`: the job queue beside PgQueuer on the same PostgreSQL in the same run.
struct JobsBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Enqueue and drain no-op jobs, and measure idle pickup latency, beside PgQueuer (PyPI).",
        discussion: """
            Starts a private PostgreSQL, migrates it, and measures: enqueuing --jobs no-op jobs a thousand per \
            transaction and draining them with a runner; enqueuing --single jobs one per transaction from \
            --clients connections and draining them; and, with the runner idle, the time from enqueue to the \
            handler's start for --samples jobs. PgQueuer then does the same in its own database on the same \
            server (batches of 100, then its defaults). Targets: ≥ 10,000 processed jobs/s and p99 pickup \
            < 20 ms. Latency ratios below 1 are better.
            """)

    @OptionGroup var options: BenchmarkOptions
    @OptionGroup var logging: LoggingOptions

    @Option(help: "Jobs enqueued in batches and drained.") var jobs = 100_000
    @Option(help: "Jobs enqueued one per transaction and drained.") var single = 20_000
    @Option(help: "Concurrent connections enqueuing one job per transaction.") var clients = 16
    @Option(help: "Pickup latency samples.") var samples = 300
    @Option(help: "Jobs the runner runs at once.") var concurrency = 256
    @Option(name: .customLong("claim-batch"), help: "Jobs one claim takes at most.") var claimBatch = 100
    @Option(name: .customLong("reference-python"), help: "A Python with pgqueuer and asyncpg installed (default: found or set up).")
    var referencePython: String?

    func run() async throws {
        var logger = try logging.makeLogger("relieflink.bench")
        logger.logLevel = .warning
        let cluster = try await LocalPostgresCluster.start(logger: logger)
        do {
            let report = try await measure(cluster, logger: logger)
            print(options.json ? try report.json() : """
                relieflink bench jobs — the job queue beside PgQueuer, same PostgreSQL, same run
                (rates per second; latency from enqueue to the handler's start with the runner idle;
                ratio = ours / PgQueuer, so above 1 is better for rates and below 1 for latency)

                \(report.table(referenceName: "PgQueuer"))
                """)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func measure(_ cluster: LocalPostgresCluster, logger: Logger) async throws -> BenchmarkReport {
        try await cluster.createDatabase("relieflink_bench")
        let owner = try await PostgresConnection.connect(ConnectionConfiguration(cluster.connectionString(database: "relieflink_bench")))
        try await Migrator(logger: logger).migrate(owner)
        try await owner.executeScript("CREATE ROLE relieflink_web LOGIN IN ROLE relieflink_app")
        await owner.close()
        let pool = ConnectionPool(.init(connection: ConnectionConfiguration(
            cluster.connectionString(database: "relieflink_bench", user: "relieflink_web")), maximumConnections: clients + 8), logger: logger)
        let ours: Figures
        do {
            ours = try await measureOurs(pool: pool, logger: logger)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()

        var reference: PgQueuerReference.Figures?
        if let pgqueuer = await PgQueuerReference.locate(referencePython) {
            try await cluster.createDatabase("pgqueuer_reference")
            reference = try await pgqueuer.measure(socketDirectory: cluster.socketDirectory.path, port: cluster.port,
                                                   database: "pgqueuer_reference", user: cluster.superuser,
                                                   batched: jobs, single: single, samples: samples, clients: clients)
        }
        var report = BenchmarkReport(benchmark: "jobs")
        report.rows = [
            .init(name: "enqueue, 1,000 per transaction", unit: "jobs/s", ours: ours.enqueueBatched, reference: reference?.enqueue_batched),
            .init(name: "processed, claims of \(claimBatch) (PgQueuer: batch 100)", unit: "jobs/s", ours: ours.drainBatched,
                  reference: reference?.drain_batch_100),
            .init(name: "enqueue, 1 per transaction, \(clients) clients", unit: "jobs/s", ours: ours.enqueueSingle,
                  reference: reference?.enqueue_single),
            .init(name: "processed, at defaults (PgQueuer: batch 10)", unit: "jobs/s", ours: ours.drainSingle,
                  reference: reference?.drain_default),
            .init(name: "pickup latency p50, idle", unit: "ms", ours: ours.latencyP50, reference: reference?.latency_p50_ms),
            .init(name: "pickup latency p99, idle", unit: "ms", ours: ours.latencyP99, reference: reference?.latency_p99_ms),
        ]
        return report
    }

    struct Figures {
        var enqueueBatched = 0.0, drainBatched = 0.0, enqueueSingle = 0.0, drainSingle = 0.0, latencyP50 = 0.0, latencyP99 = 0.0
    }

    private func measureOurs(pool: ConnectionPool, logger: Logger) async throws -> Figures {
        var figures = Figures()
        let clock = ContinuousClock()

        var start = clock.now
        for offset in stride(from: 0, to: jobs, by: 1000) {
            let batch = (offset..<min(offset + 1000, jobs)).map { _ in NewJob(kind: "noop", queue: "bench") }
            _ = try await pool.transaction { try await JobQueue.enqueue(batch: batch, on: $0) }
        }
        figures.enqueueBatched = Double(jobs) / (clock.now - start).inSeconds
        figures.drainBatched = try await drain(jobs, pool: pool, logger: logger)

        start = clock.now
        let perClient = single / clients
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    for _ in 0..<perClient {
                        _ = try await pool.transaction { try await JobQueue.enqueue(NewJob(kind: "noop", queue: "bench"), on: $0) }
                    }
                }
            }
            try await group.waitForAll()
        }
        figures.enqueueSingle = Double(perClient * clients) / (clock.now - start).inSeconds
        figures.drainSingle = try await drain(perClient * clients, pool: pool, logger: logger)
        (figures.latencyP50, figures.latencyP99) = try await pickupLatency(pool: pool, logger: logger)
        return figures
    }

    private func runner(pool: ConnectionPool, logger: Logger) -> JobRunner {
        JobRunner(pool: pool, configuration: .init(queues: ["bench": concurrency], claimBatch: claimBatch), logger: logger)
    }

    /// Starts a runner on the waiting jobs; jobs a second until `count` have run.
    private func drain(_ count: Int, pool: ConnectionPool, logger: Logger) async throws -> Double {
        let runner = runner(pool: pool, logger: logger)
        let (finished, signal) = AsyncStream.makeStream(of: Void.self)
        let done = Atomic(0)
        runner.register(kind: "noop") { _ in
            if done.add(1, ordering: .relaxed).newValue == count { signal.finish() }
            return .done
        }
        let start = ContinuousClock.now
        let running = Task { try await runner.run() }
        for await _ in finished {}
        let rate = Double(count) / (ContinuousClock.now - start).inSeconds
        runner.shutdown()
        try await running.value
        return rate
    }

    /// Enqueues one job at a time to an idle runner; the p50 and p99 from before the enqueue
    /// to the handler's start, in ms.
    private func pickupLatency(pool: ConnectionPool, logger: Logger) async throws -> (Double, Double) {
        let runner = runner(pool: pool, logger: logger)
        let sent = Mutex([Int: ContinuousClock.Instant]())
        let latencies = Mutex([Double]())
        runner.register(kind: "ping") { job in
            let arrived = ContinuousClock.now
            let number = try job.decode(Int.self)
            if let start = sent.withLock({ $0[number] }) {
                latencies.withLock { $0.append((arrived - start).inSeconds * 1000) }
            }
            return .done
        }
        let running = Task { try await runner.run() }
        try await Task.sleep(for: .seconds(1))
        for number in 0..<samples {
            sent.withLock { $0[number] = ContinuousClock.now }
            _ = try await pool.transaction { try await JobQueue.enqueue(try NewJob(kind: "ping", payload: number, queue: "bench"), on: $0) }
            try await Task.sleep(for: .milliseconds(20))
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while latencies.withLock({ $0.count }) < samples, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        runner.shutdown()
        try await running.value
        let sorted = latencies.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { throw CommandFailure("no ping job ran") }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))])
    }
}
