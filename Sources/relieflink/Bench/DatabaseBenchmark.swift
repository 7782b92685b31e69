import ArgumentParser
import Foundation
import LocalPostgres
import Logging
import Postgres
import Subprocess
import SystemPackage

/// `relieflink bench db`: our wrapper beside pgbench, on the same server in the same run, each
/// client holding its connection as pgbench's do.
struct DatabaseBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Single-row SELECT by primary key and single-row INSERT, ours beside pgbench, at 1 and 16 connections.",
        discussion: """
            Both sides use prepared statements (pgbench -M prepared; our pool prepares each statement \
            once per connection) on one server, in alternating one-second slices (--seconds of them). \
            Each of our clients holds a pooled connection for the slice, as each of pgbench's does. \
            Without DATABASE_URL a private, non-durable PostgreSQL is started for the run. \
            Target: ours ≥ 0.9× pgbench everywhere. `bench pool` measures the same statements \
            borrowing a connection from the pool around each.
            """)

    @OptionGroup var comparison: PgbenchComparison

    func run() async throws {
        try await comparison.run(benchmark: "db", borrowPerStatement: false)
    }
}

/// `relieflink bench pool`: the same statements beside pgbench, each borrowing a connection
/// from the pool and giving it back, as request code does.
struct PoolBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "As `bench db`, with a pool borrow and return around every statement, beside pgbench.",
        discussion: """
            Each client borrows a connection from the pool for every statement and returns it, as the \
            server's request code does; pgbench's clients each hold theirs. The difference to `bench db` \
            is what the pool costs: the borrow, the check that the connection is alive, the return.
            """)

    @OptionGroup var comparison: PgbenchComparison

    func run() async throws {
        try await comparison.run(benchmark: "pool", borrowPerStatement: true)
    }
}

/// The measurement both run: our pool beside pgbench, same statements, same server, same run.
struct PgbenchComparison: ParsableArguments {
    @OptionGroup var options: BenchmarkOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: "Rows in the table read by primary key.")
    var rows = 100_000

    @Option(name: .long, parsing: .upToNextOption, help: "Concurrent connections to measure.")
    var connections: [Int] = [1, 16]

    /// One-second slices per side and row.
    private var rounds: Int { max(1, Int(options.seconds.rounded())) }

    func run(benchmark: String, borrowPerStatement: Bool) async throws {
        var logger = try logging.makeLogger("relieflink.bench")
        if options.json { logger.logLevel = .warning }
        var cluster: LocalPostgresCluster?
        let url: String
        if let configured = database.url {
            url = configured
        } else {
            let local = try await LocalPostgresCluster.start(options: .init(durable: false), logger: logger)
            cluster = local
            url = local.connectionString()
        }
        do {
            let report = try await measure(benchmark: benchmark, borrowPerStatement: borrowPerStatement, url: url, logger: logger)
            let how = borrowPerStatement ? "borrowing a pooled connection around every statement" : "each client holding a pooled connection"
            print(options.json ? try report.json() : """
                relieflink bench \(benchmark) — our libpq wrapper, \(how), beside pgbench -M prepared,
                same server, same run (median of \(rounds) alternating one-second slices each; rates in
                transactions per second; ratio = ours / pgbench)

                \(report.table(referenceName: "pgbench"))
                """)
        } catch {
            await cluster?.stop()
            throw error
        }
        await cluster?.stop()
    }

    private func measure(benchmark: String, borrowPerStatement: Bool, url: String, logger: Logger) async throws -> BenchmarkReport {
        let pgbench = try Pgbench.locate()
        let configuration = ConnectionConfiguration(url, statementCacheSize: 64)
        try await prepareTables(configuration)
        let scripts = try writeScripts()
        defer { try? FileManager.default.removeItem(at: scripts) }

        var report = BenchmarkReport(benchmark: benchmark)
        let rowCount = rows
        for clients in connections {
            let pool = ConnectionPool(.init(connection: configuration, maximumConnections: clients), logger: logger)
            defer { Task { await pool.close() } }
            let select: @Sendable (Int) -> PostgresQuery = { id in
                "SELECT balance FROM bench_accounts WHERE id = \(id)"
            }
            let insert: @Sendable (Int) -> PostgresQuery = { id in
                "INSERT INTO bench_inserts (account, amount) VALUES (\(id), \(1))"
            }
            for (label, script, makeQuery) in [("select by primary key", "select.sql", select), ("single-row insert", "insert.sql", insert)] {
                try await warmUp(pool: pool, clients: clients, rows: rowCount, makeQuery)
                // Alternating one-second slices, so that the machine's drifts fall on every side alike.
                // The median slice of each side: a slice a neighbour's burst slowed moves neither.
                var ours: [Double] = [], theirs: [Double] = []
                for _ in 0..<rounds {
                    ours.append(try await rate(pool: pool, clients: clients, rows: rowCount, borrowPerStatement: borrowPerStatement, makeQuery))
                    theirs.append(try await pgbench.transactionsPerSecond(url: url, script: scripts.appending(path: script),
                                                                      clients: clients, seconds: 1))
                }
                report.rows.append(.init(name: "\(label), \(clients) connection(s)", unit: "tx/s", ours: median(ours),
                                         reference: median(theirs)))
            }
        }
        return report
    }

    private func prepareTables(_ configuration: ConnectionConfiguration) async throws {
        let connection = try await PostgresConnection.connect(configuration)
        defer { Task { await connection.close() } }
        try await connection.executeScript("""
            DROP TABLE IF EXISTS bench_accounts, bench_inserts;
            CREATE TABLE bench_accounts (id int8 PRIMARY KEY, balance int8 NOT NULL, filler text NOT NULL);
            CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, account int8 NOT NULL, amount int8 NOT NULL,
                                        created_at timestamptz NOT NULL DEFAULT now());
            """)
        let total = rows
        try await connection.copyIn(table: "bench_accounts", columns: ["id", "balance", "filler"]) { writer in
            for id in 1...total {
                try await writer.write([id, id % 1000, String(repeating: "x", count: 80)])
            }
        }
        try await connection.executeScript("VACUUM ANALYZE bench_accounts")
    }

    /// Opens every connection and prepares the statement on it.
    private func warmUp(pool: ConnectionPool, clients: Int, rows: Int, _ makeQuery: @escaping @Sendable (Int) -> PostgresQuery) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var ids = AccountIDs(upperBound: rows)
                    for _ in 0..<50 { try await pool.query(makeQuery(ids.next())) }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Transactions per second over one second of `clients` tasks each running `makeQuery` in a
    /// loop, either on a connection each holds throughout, or borrowing from the pool for every
    /// statement.
    private func rate(
        pool: ConnectionPool, clients: Int, rows: Int, borrowPerStatement: Bool, _ makeQuery: @escaping @Sendable (Int) -> PostgresQuery
    ) async throws -> Double {
        let start = ContinuousClock.now
        let deadline = start + .seconds(1)
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var done = 0
                    if borrowPerStatement {
                        var ids = AccountIDs(upperBound: rows)
                        while ContinuousClock.now < deadline {
                            try await pool.query(makeQuery(ids.next()))
                            done += 1
                        }
                    } else {
                        // On the connection's event loop: no thread switch per statement.
                        done = try await pool.withConnection { connection in
                            try await withTaskExecutorPreference(connection.executor) {
                                try await Self.statements(on: connection, rows: rows, until: deadline, makeQuery)
                            }
                        }
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return Double(count) / elapsed.inSeconds
    }

    /// Runs statements on `connection` until `deadline`; how many ran. Where its caller runs, as
    /// the statements do: a caller of its own isolation would be switched back to after each.
    nonisolated(nonsending) private static func statements(
        on connection: PostgresConnection, rows: Int, until deadline: ContinuousClock.Instant, _ makeQuery: (Int) -> PostgresQuery
    ) async throws -> Int {
        var ids = AccountIDs(upperBound: rows)
        var done = 0
        while ContinuousClock.now < deadline {
            try await connection.query(makeQuery(ids.next()))
            done += 1
        }
        return done
    }

    private func writeScripts() throws -> URL {
        try Pgbench.writeScripts([
            "select.sql": "\\set id random(1, \(rows))\nSELECT balance FROM bench_accounts WHERE id = :id;\n",
            "insert.sql": "\\set id random(1, \(rows))\nINSERT INTO bench_inserts (account, amount) VALUES (:id, 1);\n",
        ])
    }
}

/// Random account ids from a fast, statistically sound generator, one per client as pgbench
/// keeps one per thread: `Int.random` asks the kernel for every number, a system call per
/// statement that pgbench does not make, and a generator shared by the clients would bounce
/// its cache line between the cores on every statement.
struct AccountIDs {
    private var state = UInt64.random(in: 0...UInt64.max)
    private let upperBound: Int

    init(upperBound: Int) { self.upperBound = upperBound }

    /// A uniformly spread id in 1...upperBound (SplitMix64).
    mutating func next() -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(upperBound)) + 1
    }
}
