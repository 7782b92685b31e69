import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import LocalPostgres
import Logging
import NIOCore
import Postgres
import ReliefAPI
import ReliefDomain
import ReliefStore
import ServiceLifecycle

/// `relieflink bench intake`: online applications through the HTTP API beside pgbench's
/// single-row INSERT, on the same database in the same run.
struct IntakeBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Concurrent online applications (POST /api/v1/public/applications) beside pgbench's single-row INSERT.",
        discussion: """
            Starts a private, non-durable PostgreSQL (or uses DATABASE_URL), migrates it, seeds a county,
            serves the API in this process on a free port with the public rate limit off, and drives it
            with wrk (Debian's `wrk`; without it, a slower client in this process) over HTTP/1.1 keep-alive
            connections from `--clients` concurrent clients, each application a new applicant. pgbench then
            runs a prepared single-row INSERT from as many clients on the same database.
            Target: ours ≥ 0.5× pgbench at 32 clients.
            """)

    @OptionGroup var options: BenchmarkOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Concurrent clients to measure.")
    var clients: [Int] = [32]

    func run() async throws {
        var logger = try logging.makeLogger("relieflink.bench")
        if options.json { logger.logLevel = .warning }
        var cluster: LocalPostgresCluster?
        var ownerURL: String
        var appURL: String
        if let configured = database.url {
            ownerURL = configured
            appURL = configured
        } else {
            let local = try await LocalPostgresCluster.start(options: .init(durable: false), logger: logger)
            cluster = local
            try await local.createDatabase("relieflink_bench")
            ownerURL = local.connectionString(database: "relieflink_bench")
            appURL = local.connectionString(database: "relieflink_bench", user: "relieflink_web")
        }
        do {
            let report = try await measure(ownerURL: ownerURL, appURL: appURL, privateCluster: cluster != nil, logger: logger)
            print(options.json ? try report.json() : """
                relieflink bench intake — online applications over HTTP beside pgbench's single-row INSERT, same database, same run
                (\(options.seconds) s each; rates per second; ratio = ours / pgbench)

                \(report.table(referenceName: "pgbench"))
                """)
        } catch {
            await cluster?.stop()
            throw error
        }
        await cluster?.stop()
    }

    private func measure(ownerURL: String, appURL: String, privateCluster: Bool, logger: Logger) async throws -> BenchmarkReport {
        let pgbench = try Pgbench.locate()
        let password = "Bench-" + UUID().uuidString
        let owner = try await PostgresConnection.connect(database.connection(ownerURL), logger: logger)
        try await Migrator(logger: logger).migrate(owner)
        if privateCluster {
            try await owner.executeScript("CREATE ROLE relieflink_web LOGIN IN ROLE relieflink_app")
        }
        try await owner.executeScript("""
            DROP TABLE IF EXISTS bench_inserts;
            CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, account int8 NOT NULL, amount int8 NOT NULL,
                                        created_at timestamptz NOT NULL DEFAULT now());
            """)
        let countyCode = Self.countyCode
        _ = try? await CountyBootstrap().createManager(on: owner, countyCode: countyCode, countyName: "基准测试县",
                                                       username: "bench", displayName: "基准", password: password)
        await owner.close()

        let pool = ConnectionPool(database.pool(appURL), logger: logger)
        let store = Store(pool: pool)
        let manager = try await Accounts(store: store).signIn(countyCode: countyCode, username: "bench", password: password).context
        let directory = Directory(store: store)
        let county = try await directory.orgs(manager)[0]
        let township = try await directory.createOrg(manager, tier: .township, divisionCode: "320281001000", name: "测试街道", parentID: county.id)
        let village = try await directory.createOrg(manager, tier: .village, divisionCode: "320281001001", name: "测试社区", parentID: township.id)

        var serverLogger = logger
        serverLogger.logLevel = .warning
        let (port, stopServer) = try await startServer(pool: pool, logger: serverLogger)
        let scripts = try Pgbench.writeScripts(["insert.sql": "\\set id random(1, 100000)\nINSERT INTO bench_inserts (account, amount) VALUES (:id, 1);\n"])
        defer { try? FileManager.default.removeItem(at: scripts) }

        var report = BenchmarkReport(benchmark: "intake")
        let url = "http://127.0.0.1:\(port)/api/v1/public/applications"
        let wrk = Wrk.locate()
        if !options.json { print("load generator: \(wrk.map { $0.executable.path } ?? "this process (wrk was not found)")") }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients.max() ?? 32)))
        do {
            for clientCount in clients {
                let analyze = { try await Self.analyze(ownerURL: ownerURL, connection: database, logger: logger) }
                let ours = if let wrk {
                    try await applications(wrk: wrk, url: url, clients: clientCount, placeCode: village.divisionCode,
                                           scripts: scripts, analyze: analyze)
                } else {
                    try await applications(http: http, url: url, clients: clientCount, placeCode: village.divisionCode,
                                           analyze: analyze)
                }
                let theirs = try await pgbench.transactionsPerSecond(url: ownerURL, script: scripts.appending(path: "insert.sql"),
                                                                     clients: clientCount, seconds: options.seconds)
                report.rows.append(.init(name: "online applications, \(clientCount) clients", unit: "req/s", ours: ours.rate, reference: theirs))
                report.rows.append(.init(name: "online application latency p50, \(clientCount) clients", unit: "ms", ours: ours.p50, reference: nil))
                report.rows.append(.init(name: "online application latency p99, \(clientCount) clients", unit: "ms", ours: ours.p99, reference: nil))
                if let wrk {
                    // For scale: what the HTTP stack alone answers on this machine, no database.
                    let plain = scripts.appending(path: "plain.lua")
                    try Wrk.plainScript.write(to: plain, atomically: true, encoding: .utf8)
                    let floor = try await wrk.run(url: "http://127.0.0.1:\(port)/healthz", script: plain, clients: clientCount,
                                                  seconds: options.seconds)
                    report.rows.append(.init(name: "for scale: GET /healthz (no database), \(clientCount) clients", unit: "req/s",
                                             ours: floor.rate, reference: nil))
                }
            }
        } catch {
            try? await http.shutdown()
            await stopServer()
            await pool.close()
            throw error
        }
        try await http.shutdown()
        await stopServer()
        await pool.close()
        return report
    }

    /// Serves the API in this process on a free port; answers the port and the server, which
    /// `stop` shuts down gracefully (cancelling it instead logs errors from the closing channels).
    private func startServer(pool: ConnectionPool, logger: Logger) async throws -> (port: Int, stop: @Sendable () async -> Void) {
        let router = try HTTPServer.router(pool: pool, cipher: .ephemeral(), logger: logger, publicRequestsPerMinute: 0)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "ReliefLink"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        let server = Task { try await group.run() }
        let stop: @Sendable () async -> Void = {
            await group.triggerGracefulShutdown()
            _ = await server.result
        }
        for await port in ports where port > 0 { return (port, stop) }
        await stop()
        throw ValidationError("the API server did not start")
    }

    /// The county the benchmark seeds and applies to.
    private static let countyCode = "320281000000"
    private static let itemCodes = ["dibao", "tekun", "yiliao", "linshi", "jiaoyu", "zhufang"]

    /// Applications a second from `clients` wrk connections, and their latency in ms.
    private func applications(
        wrk: Wrk, url: String, clients: Int, placeCode: String, scripts: URL, analyze: () async throws -> Void
    ) async throws -> (rate: Double, p50: Double, p99: Double) {
        let script = scripts.appending(path: "applications.lua")
        try Wrk.onlineApplicationsScript(countyCode: Self.countyCode, placeCode: placeCode, itemCodes: Self.itemCodes)
            .write(to: script, atomically: true, encoding: .utf8)
        // Warm up: open the connections, prepare the statements.
        _ = try await wrk.run(url: url, script: script, clients: clients, seconds: 2)
        try await analyze()
        let result = try await wrk.run(url: url, script: script, clients: clients, seconds: options.seconds)
        guard result.errors == 0 else {
            throw ValidationError("\(result.errors) of \(result.requests) applications failed or were refused")
        }
        return (result.rate, result.p50Milliseconds, result.p99Milliseconds)
    }

    /// A county's tables have statistics; these were empty a moment ago. Each session keeps
    /// the plans it made on its first statements, among them the foreign-key checks, and a
    /// plan made on an empty `cases` walks an index of the whole county for every new case
    /// until autovacuum's ANALYZE (up to a minute away) makes every session plan again.
    private static func analyze(ownerURL: String, connection: DatabaseOptions, logger: Logger) async throws {
        let owner = try await PostgresConnection.connect(connection.connection(ownerURL), logger: logger)
        try await owner.executeScript("ANALYZE")
        await owner.close()
    }

    /// Applications a second from `clients` concurrent clients in this process, and their
    /// latency in ms: for a machine without wrk.
    private func applications(
        http: HTTPClient, url: String, clients: Int, placeCode: String, analyze: () async throws -> Void
    ) async throws -> (rate: Double, p50: Double, p99: Double) {
        let items = Self.itemCodes
        // Bodies made beforehand, so the clients measure the server, not JSON encoding here.
        var random = SystemRandomNumberGenerator()
        let bodies: [Data] = try (0..<4096).map { index in
            let applicant = DemoCounty.applicant(using: &random)
            return try JSONSerialization.data(withJSONObject: [
                "county": Self.countyCode, "itemCode": items[index % items.count], "placeCode": placeCode,
                "applicant": ["name": applicant.name, "idNumber": applicant.idNumber.value, "phone": applicant.phone],
                "description": "基准测试申请：家庭生活困难，申请救助。",
            ])
        }
        @Sendable func post(_ body: Data) async throws -> Duration {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            let start = ContinuousClock.now
            let response = try await http.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 16)
            guard response.status == .created else { throw ValidationError("an application answered \(response.status)") }
            return ContinuousClock.now - start
        }
        // Warm up: open the connections, prepare the statements.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients { group.addTask { for round in 0..<5 { _ = try await post(bodies[(client * 5 + round) % bodies.count]) } } }
            try await group.waitForAll()
        }
        try await analyze()
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(options.seconds * 1000))
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var latencies: [Duration] = []
                    var index = client * 97
                    while ContinuousClock.now < deadline {
                        latencies.append(try await post(bodies[index % bodies.count]))
                        index += 1
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.inSeconds
        let sorted = latencies.map { $0.inSeconds * 1000 }.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return (Double(sorted.count) / seconds, percentile(0.5), percentile(0.99))
    }
}
