import ArgumentParser
import Foundation
import JobQueue
import LocalPostgres
import Logging
import Postgres
import ReliefJobs
import ReliefStore
import Synchronization

/// `relieflink bench timers`: SLA timers at scale (issue 6, item 6) — how late due timers fire
/// among a million open ones, beside the same with ten thousand open, in the same run.
struct TimersBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "How late due SLA timers fire with a million open timers, beside ten thousand open.",
        discussion: """
            Starts a private PostgreSQL, migrates it, and schedules --open timer jobs for deadlines weeks \
            ahead (one per open case, as `sla.timer` jobs are) plus --due timers falling due across the next \
            --window seconds; a runner with the production's SLA concurrency then acts on each due timer (a \
            primary-key update of its deadline row, as the SLA step does) and records how long after its \
            deadline it started. The reference is the same with --reference-open timers: a ratio near 1 \
            shows a timer's cost does not grow with the number of open cases. Target: every due timer acted \
            on within 5 s of its deadline.
            """)

    @OptionGroup var options: BenchmarkOptions
    @OptionGroup var logging: LoggingOptions

    @Option(help: "Open timers (deadlines weeks ahead).") var open = 1_000_000
    @Option(name: .customLong("reference-open"), help: "Open timers in the reference run.") var referenceOpen = 10_000
    @Option(help: "Timers falling due during the window.") var due = 1_000
    @Option(help: "Seconds over which the due timers fall due.") var window = 60

    struct Lateness {
        let p50: Double, p99: Double, max: Double
        let withinFiveSeconds: Int
    }

    func run() async throws {
        var logger = try logging.makeLogger("relieflink.bench")
        logger.logLevel = .warning
        let cluster = try await LocalPostgresCluster.start(logger: logger)
        do {
            try await cluster.createDatabase("relieflink_bench")
            let owner = try await PostgresConnection.connect(ConnectionConfiguration(cluster.connectionString(database: "relieflink_bench")))
            try await Migrator(logger: logger).migrate(owner)
            try await owner.executeScript("""
                CREATE ROLE relieflink_web LOGIN IN ROLE relieflink_app;
                CREATE TABLE bench_deadlines (id bigint PRIMARY KEY, fired_at timestamptz);
                GRANT SELECT, UPDATE ON bench_deadlines TO relieflink_app, relieflink_tables;
                """)
            let pool = ConnectionPool(.init(connection: ConnectionConfiguration(
                cluster.connectionString(database: "relieflink_bench", user: "relieflink_web")), maximumConnections: 16), logger: logger)
            let reference = try await measure(openTimers: referenceOpen, owner: owner, pool: pool, logger: logger)
            let ours = try await measure(openTimers: open, owner: owner, pool: pool, logger: logger)
            await pool.close()
            await owner.close()
            var report = BenchmarkReport(benchmark: "timers")
            let ourLabel = "\(open.formatted()) open"
            report.rows = [
                .init(name: "lateness p50, \(ourLabel) (ref. \(referenceOpen.formatted()))", unit: "ms", ours: ours.p50, reference: reference.p50),
                .init(name: "lateness p99, \(ourLabel) (ref. \(referenceOpen.formatted()))", unit: "ms", ours: ours.p99, reference: reference.p99),
                .init(name: "lateness max, \(ourLabel) (ref. \(referenceOpen.formatted()))", unit: "ms", ours: ours.max, reference: reference.max),
                .init(name: "due timers acted on within 5 s, of \(due)", unit: "timers", ours: Double(ours.withinFiveSeconds),
                      reference: Double(reference.withinFiveSeconds)),
            ]
            print(options.json ? try report.json() : """
                relieflink bench timers — \(due) timers due within \(window) s among \(open.formatted()) open ones, \
                beside the same among \(referenceOpen.formatted()); same PostgreSQL, same run
                (lateness: from a timer's deadline to the start of its handler; ratio = ours / reference, near 1 is flat)

                \(report.table(referenceName: "reference"))
                """)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func measure(openTimers: Int, owner: PostgresConnection, pool: ConnectionPool, logger: Logger) async throws -> Lateness {
        try await owner.executeScript("TRUNCATE job_queue.jobs, bench_deadlines")
        // Open timers weeks ahead, as `sla.timer` jobs wait for their deadlines.
        try await owner.execute("""
            INSERT INTO job_queue.jobs (kind, queue, state, run_at, payload, unique_key)
            SELECT 'bench.timer', 'sla', 'scheduled', now() + interval '20 days' + g * interval '1 second',
                   jsonb_build_object('n', g), 'bench.timer:' || g
            FROM generate_series(1, \(openTimers)) g
            """)
        try await owner.execute("INSERT INTO bench_deadlines (id) SELECT g FROM generate_series(1, \(openTimers + due)) g")
        // A million timers that built up over weeks have long been vacuumed; inserted at once,
        // autovacuum would start on them during the window and measure itself, not the timers.
        try await owner.executeScript("VACUUM (ANALYZE) job_queue.jobs")
        try await owner.executeScript("VACUUM (ANALYZE) bench_deadlines")
        let runner = JobRunner(pool: pool, configuration: .init(queues: ["sla": ReliefJobs.queues["sla"] ?? 8]), logger: logger)
        let lateness = Mutex([Double]())
        runner.register(kind: "bench.timer") { job in
            let started = Date()
            struct Payload: Decodable { let n: Int64 }
            let number = try job.decode(Payload.self).n
            try await pool.execute("UPDATE bench_deadlines SET fired_at = clock_timestamp() WHERE id = \(number) AND fired_at IS NULL")
            lateness.withLock { $0.append(max(0, started.timeIntervalSince(job.runAt)) * 1000) }
            return .done
        }
        let running = Task { try await runner.run() }
        // The runner settles first (connections, LISTEN, its first claims over the fresh rows),
        // so what is measured is how a running runner meets deadlines.
        try await Task.sleep(for: .seconds(3))
        let spacing = Double(window) / Double(due)
        try await owner.execute("""
            INSERT INTO job_queue.jobs (kind, queue, state, run_at, payload, unique_key)
            SELECT 'bench.timer', 'sla', 'scheduled', now() + interval '2 seconds' + (g * \(spacing)) * interval '1 second',
                   jsonb_build_object('n', \(openTimers) + g), 'bench.timer:' || (\(openTimers) + g)
            FROM generate_series(1, \(due)) g
            """)
        let deadline = ContinuousClock.now + .seconds(window + 30)
        while lateness.withLock({ $0.count }) < due, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        runner.shutdown()
        try await running.value
        let sorted = lateness.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { throw CommandFailure("no timer fired") }
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return Lateness(p50: percentile(0.5), p99: percentile(0.99), max: sorted.last!,
                        withinFiveSeconds: sorted.filter { $0 <= 5000 }.count)
    }
}
