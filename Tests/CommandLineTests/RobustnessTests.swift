import AsyncHTTPClient
import Foundation
import LocalPostgres
import NIOCore
import NIOHTTP1
import Postgres
import ReliefDomain
import Synchronization
import Testing
import TestSupport

/// Robustness of `relieflink serve` as an operator runs it ("Item catalog and intake", item 7):
/// the real binary, on a private PostgreSQL of its own, under a burst of online applications.
///
/// DB32/T 4012-2021 §5.1 (受理): every application the center has acknowledged must be on
/// record, once. An application answered 201 carries a case number the citizen keeps; losing
/// it, or filing it twice, breaks the one-door promise. Answers that were never given (the
/// connection broke) may or may not have been filed: the citizen was told nothing and applies
/// again, which the duplicate flag at intake catches.
///
/// Each test starts its own PostgreSQL cluster (not the suite's shared one, which other tests
/// use in parallel), so restarting or starving it harms nobody else. Serialized: the machine
/// has two cores, and two servers under load at once would make the timings meaningless.
@Suite("relieflink serve under failures", .serialized)
struct RobustnessTests {
    static let countyCode = "320281000000"
    static let townshipCode = "320281100000"
    static let villageCode = "320281100201"
    static let managerPassword = "Robust-Password-2026"

    @Test("A server killed with SIGKILL during a burst of online applications loses none it answered 2xx and stores none twice",
          .timeLimit(.minutes(2)))
    func sigkillDuringBurst() async throws {
        try await RobustnessWorld.run { world in
            let first = try world.startServer()
            try await world.waitReady(first)
            try await world.createTownshipAndVillage()

            // §5.1.2: citizens apply online, 16 at a time, until the server is killed mid-burst.
            let burst = Burst(world: world, label: "kill")
            let load = Task { await burst.run(clients: 16, pauseAfterFailure: .zero) }
            // Killed once it is well under way, however slow a loaded machine makes the server.
            _ = await burst.waitForCreatedCount(10, within: .seconds(60))
            try await Task.sleep(for: .milliseconds(200))
            await first.kill()
            burst.stop()
            let outcomes = await load.value
            let answeredBeforeKill = outcomes.filter(\.isCreated)
            #expect(answeredBeforeKill.count >= 10,
                    "the burst should have filed applications before the kill; outcomes: \(Outcome.summary(outcomes))")
            #expect(outcomes.contains { !$0.isAnswered },
                    "some applications should still have been in flight when the server was killed")
            // Before the kill every answer is a 201: the setup is sound.
            #expect(outcomes.filter { $0.isAnswered && !$0.isCreated }.isEmpty, "\(Outcome.summary(outcomes))")

            // The same binary, on the same database, after the crash.
            let second = try world.startServer()
            try await world.waitReady(second)
            let afterRestart = await burst.applyOnce()
            #expect(afterRestart.isCreated, "after the restart an application is filed again: \(afterRestart)")

            let stored = try await world.storedCases()
            Self.expectExactlyOnce(outcomes + [afterRestart], stored: stored)
            // At most one request per client was in flight when the kill came: only those may
            // have been filed without an answer (committed just before the kill).
            let unanswered = stored.count - (answeredBeforeKill.count + (afterRestart.isCreated ? 1 : 0))
            #expect((0...16).contains(unanswered), "cases filed without a 201: \(unanswered)")
            print("[robustness] SIGKILL mid-burst: \(Outcome.summary(outcomes)); stored \(stored.count) cases, "
                  + "\(unanswered) of them committed but never answered")
            await second.kill()
        }
    }

    @Test("A PostgreSQL restart under load costs failed requests for a few seconds, then the same server process serves again",
          .timeLimit(.minutes(2)))
    func postgresRestartUnderLoad() async throws {
        try await RobustnessWorld.run { world in
            let server = try world.startServer()
            try await world.waitReady(server)
            try await world.createTownshipAndVillage()
            let pid = server.process.processIdentifier

            let burst = Burst(world: world, label: "pg-restart")
            let load = Task { await burst.run(clients: 8, pauseAfterFailure: .milliseconds(50)) }
            try await Task.sleep(for: .seconds(1))
            let outageStarted = ContinuousClock.now
            try await world.cluster.restart()  // fast shutdown: every open session is ended
            let databaseBack = ContinuousClock.now

            // Within 15 s of PostgreSQL accepting connections again, applications are filed again.
            let recovered = await burst.waitForCreated(after: databaseBack, within: .seconds(15))
            burst.stop()
            let outcomes = await load.value
            #expect(recovered != nil, "no 201 within 15 s after PostgreSQL was back; \(Outcome.summary(outcomes))")
            if let recovered {
                print("[robustness] PostgreSQL restart took \(databaseBack - outageStarted); "
                      + "an application sent \(recovered - databaseBack) after it was back was filed")
            }

            // The same process served throughout: it never exited.
            #expect(server.process.isRunning && server.process.processIdentifier == pid,
                    "the server exited: \(server.logTail())")
            #expect(try await world.readiness() == 200)
            let after = await burst.applyOnce()
            #expect(after.isCreated, "\(after)")

            // Failures were answers of 5xx problem+json or broken connections, each within the
            // client's time-out: nothing hung, nothing was refused as if it were the citizen's fault.
            #expect(outcomes.filter(\.isTimeout).isEmpty, "requests hung: \(Outcome.summary(outcomes))")
            let refused = outcomes.filter { $0.isAnswered && !$0.isCreated }
            for outcome in refused {
                // The database is away, not broken: 503 problem+json with Retry-After, never 500.
                #expect(outcome.status == 503 && outcome.isProblem, "during the outage: \(outcome)")
            }
            #expect(outcomes.filter(\.isCreated).count >= 5, "\(Outcome.summary(outcomes))")
            print("[robustness] during the PostgreSQL restart: \(Outcome.summary(outcomes))")

            // §5.1: what was answered 201 before, during and after the restart is on record, once.
            Self.expectExactlyOnce(outcomes + [after], stored: try await world.storedCases())
            await server.kill()
        }
    }

    /// Every application answered 201 is stored exactly once under the case number it was
    /// given; none answered otherwise was stored; no application was stored twice; case
    /// numbers are unique; each case has exactly one `submitted` event (§5.1).
    static func expectExactlyOnce(_ outcomes: [Outcome], stored: [StoredCase]) {
        let byNumber = Dictionary(grouping: stored, by: \.caseNumber)
        let byDescription = Dictionary(grouping: stored, by: \.description)
        #expect(byNumber.count == stored.count, "case numbers are unique")
        #expect(byDescription.values.allSatisfy { $0.count == 1 }, "no application is stored twice")
        for outcome in outcomes {
            let rows = byDescription[outcome.description] ?? []
            if let caseNumber = outcome.caseNumber {
                #expect(rows.count == 1 && rows.first?.caseNumber == caseNumber,
                        "answered 201 as \(caseNumber), stored: \(rows.map(\.caseNumber))")
                #expect(byNumber[caseNumber]?.count == 1, "\(caseNumber) is stored once")
            } else if outcome.isAnswered {
                #expect(rows.isEmpty, "answered \(outcome.status) yet stored: \(rows.map(\.caseNumber))")
            }
        }
        let sent = Set(outcomes.map(\.description))
        for row in stored {
            #expect(sent.contains(row.description), "a case no client sent: \(row.caseNumber)")
            #expect(row.submittedEvents == 1, "\(row.caseNumber) has \(row.submittedEvents) submitted events")
            #expect(row.channel == "online" && row.status == "submitted", "\(row.caseNumber): \(row.channel) \(row.status)")
        }
        let unanswered = Set(outcomes.filter { !$0.isAnswered }.map(\.description))
        for row in stored where !outcomes.contains(where: { $0.caseNumber == row.caseNumber }) {
            #expect(unanswered.contains(row.description), "\(row.caseNumber) was stored but neither answered nor in flight")
        }
    }
}

// MARK: - The world: PostgreSQL, the database, the binary

/// A private PostgreSQL with a migrated database, the application's login role, county
/// 320281000000 bootstrapped by `relieflink admin create-user`, and the HTTP client; all
/// stopped and removed by `run`, whether the test passes, fails or throws.
final class RobustnessWorld: Sendable {
    let cluster: LocalPostgresCluster
    let client: HTTPClient
    let port: Int
    let logFolder: URL
    let dataKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    let lookupKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    private let servers = Mutex<[ServerProcess]>([])

    static let database = "relieflink"
    static let appLogin = "relieflink_web"

    private init(cluster: LocalPostgresCluster, client: HTTPClient, port: Int, logFolder: URL) {
        self.cluster = cluster
        self.client = client
        self.port = port
        self.logFolder = logFolder
    }

    static func run(_ body: (RobustnessWorld) async throws -> Void) async throws {
        let cluster = try await LocalPostgresCluster.start(options: .init(durable: false, maxConnections: 100))
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        // A refused connection (the server is down) fails the request at once rather than
        // retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let logFolder = FileManager.default.temporaryDirectory.appending(path: "robustness-\(UUID().uuidString)")
        let world = RobustnessWorld(cluster: cluster, client: client, port: freePort(), logFolder: logFolder)
        do {
            try FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)
            try await world.prepareDatabase()
            try await body(world)
        } catch {
            await world.tearDown()
            throw error
        }
        await world.tearDown()
    }

    private func tearDown() async {
        for server in servers.withLock({ $0 }) { await server.kill() }
        try? await client.shutdown()
        await cluster.stop()
        try? FileManager.default.removeItem(at: logFolder)
    }

    var ownerConfiguration: ConnectionConfiguration {
        ConnectionConfiguration(cluster.connectionString(database: Self.database))
    }

    var appURL: String { cluster.connectionString(database: Self.database, user: Self.appLogin) }

    /// As an operator sets up: create the database, `relieflink migrate`, a login role in
    /// `relieflink_app`, `relieflink admin create-user`.
    private func prepareDatabase() async throws {
        let admin = try await PostgresConnection.connect(ConnectionConfiguration(cluster.connectionString()))
        do {
            try await admin.executeScript("CREATE DATABASE \(Self.database)")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let owner = ["DATABASE_URL": ownerConfiguration.connectionString, "LOG_LEVEL": "warning"]
        let migrate = try await relieflink(["migrate"], environment: owner)
        try #require(migrate.status == .exited(0), "migrate: \(migrate.error)")
        let connection = try await PostgresConnection.connect(ownerConfiguration)
        do {
            try await connection.executeScript("CREATE ROLE \(Self.appLogin) LOGIN IN ROLE relieflink_app")
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        let created = try await relieflink(
            ["admin", "create-user", "--county", RobustnessTests.countyCode, "--county-name", "江阴市",
             "--username", "manager", "--display-name", "王主任"],
            environment: owner.merging(["RELIEFLINK_ADMIN_PASSWORD": RobustnessTests.managerPassword]) { $1 })
        try #require(created.status == .exited(0), "create-user: \(created.error)")
    }

    /// `relieflink serve` as the application's login role (or `databaseURL`), without the
    /// public rate limit.
    func startServer(databaseURL: String? = nil) throws -> ServerProcess {
        let number = servers.withLock { $0.count + 1 }
        let server = try ServerProcess.start(
            arguments: ["serve", "--hostname", "127.0.0.1", "--port", "\(port)", "--public-rate-limit", "0"],
            environment: [
                "DATABASE_URL": databaseURL ?? appURL,
                "RELIEFLINK_DATA_KEYS": "k1:\(dataKey)",
                "RELIEFLINK_LOOKUP_KEY": lookupKey,
                "LOG_LEVEL": "warning",
            ],
            log: logFolder.appending(path: "serve-\(number).log"))
        servers.withLock { $0.append(server) }
        return server
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The status of `GET /readyz`, nil when nothing answers.
    func readiness() async throws -> Int? {
        let request = HTTPClientRequest(url: url("/readyz"))
        guard let response = try? await client.execute(request, timeout: .seconds(3)) else { return nil }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// Waits for `/readyz` to answer 200; fails early if the server exits.
    func waitReady(_ server: ServerProcess, within limit: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await readiness() == 200 { return }
            try #require(server.process.isRunning, "the server exited: \(server.logTail())")
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RobustnessFailure("the server was not ready within \(limit): \(server.logTail())")
    }

    /// One JSON request; answers the status and the parsed body.
    func send(_ method: HTTPMethod, _ path: String, token: String? = nil, json: [String: any Sendable]? = nil)
        async throws -> (status: Int, object: [String: Any], array: [[String: Any]])
    {
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let parsed = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        return (Int(response.status.code), parsed as? [String: Any] ?? [:], parsed as? [[String: Any]] ?? [])
    }

    /// The manager signs in and adds a township and a village under the county (through the API).
    func createTownshipAndVillage() async throws {
        let session = try await send(.POST, "/api/v1/sessions", json: [
            "county": RobustnessTests.countyCode, "username": "manager", "password": RobustnessTests.managerPassword,
        ])
        let token = try #require(session.object["token"] as? String, "sign-in answered \(session.status)")
        let orgs = try await send(.GET, "/api/v1/orgs", token: token).array
        let county = try #require(orgs.first { $0["tier"] as? String == "county" }?["id"] as? String)
        let township = try await send(.POST, "/api/v1/orgs", token: token, json: [
            "tier": "township", "divisionCode": RobustnessTests.townshipCode, "name": "澄江街道", "parentId": county,
        ])
        let townshipID = try #require(township.object["id"] as? String, "township answered \(township.status)")
        let village = try await send(.POST, "/api/v1/orgs", token: token, json: [
            "tier": "village", "divisionCode": RobustnessTests.villageCode, "name": "东门社区", "parentId": townshipID,
        ])
        try #require(village.status == 201, "village answered \(village.status)")
    }

    /// Every filed case of the county, read by the owner in the county's context with the
    /// auditor role (as `AuditVerifier` reads), which row-level security admits.
    func storedCases() async throws -> [StoredCase] {
        let connection = try await PostgresConnection.connect(ownerConfiguration)
        do {
            let rows = try await connection.transaction(readOnly: true) { connection in
                try await connection.execute("""
                    SELECT set_config('app.county_id', county_id::text, true), set_config('app.roles', 'auditor', true)
                    FROM counties WHERE division_code = \(RobustnessTests.countyCode)
                    """)
                return try await connection.query("""
                    SELECT c.case_number, c.description, c.channel::text, c.status::text,
                           (SELECT count(*) FROM case_events e
                            WHERE e.county_id = c.county_id AND e.case_id = c.id AND e.action = 'submitted')
                    FROM cases c WHERE c.case_number IS NOT NULL
                    """).decode((String, String, String, String, Int64).self)
            }
            await connection.close()
            return rows.map { StoredCase(caseNumber: $0.0, description: $0.1, channel: $0.2, status: $0.3, submittedEvents: Int($0.4)) }
        } catch {
            await connection.close()
            throw error
        }
    }

    /// A TCP port nobody listens on now (the kernel picks it).
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { return Int.random(in: 20_000...60_000) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct RobustnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct StoredCase: Sendable {
    let caseNumber: String
    let description: String
    let channel: String
    let status: String
    let submittedEvents: Int
}

/// The `relieflink` binary built beside this test bundle, run in the background.
final class ServerProcess: Sendable {
    let process: Process
    let log: URL

    private init(process: Process, log: URL) {
        self.process = process
        self.log = log
    }

    static func start(arguments: [String], environment: [String: String], log: URL) throws -> ServerProcess {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appending(path: "relieflink")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw RobustnessFailure("cannot create \(log.path)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for key in merged.keys where key.hasPrefix("RELIEFLINK_") || key.hasPrefix("DATABASE_") { merged[key] = nil }
        process.environment = merged.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return ServerProcess(process: process, log: log)
    }

    /// SIGKILL, as the OOM killer or a pulled plug does; waits until it is gone.
    func kill() async {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        await waitForExit()
    }

    /// Waits for the process to end on a thread of its own, not on one of Swift's few
    /// cooperative threads, which the other suites need meanwhile.
    func waitForExit() async {
        await TestSupport.waitForExit(of: process)
    }

    /// The distinct `error=` values the server logged, without timestamps.
    func distinctErrors() -> [String] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        var seen: [String] = []
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "error=") else { continue }
            let cause = String(line[range.lowerBound...].prefix(300))
            if !seen.contains(cause) { seen.append(cause) }
        }
        return seen
    }

    /// The end of what the server logged, for failure messages.
    func logTail() -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }
}

// MARK: - The load

/// What one online application came to.
struct Outcome: Sendable, CustomStringConvertible {
    /// Unique per application: tells the stored cases apart.
    let description: String
    /// 0 when no answer came (connection refused or broken, time-out).
    let status: Int
    let caseNumber: String?
    let isProblem: Bool
    let error: String?
    let isTimeout: Bool
    let started: ContinuousClock.Instant
    let finished: ContinuousClock.Instant

    var isAnswered: Bool { status != 0 }
    var isCreated: Bool { status == 201 && caseNumber != nil }

    static func summary(_ outcomes: [Outcome]) -> String {
        var counts: [String: Int] = [:]
        for outcome in outcomes {
            counts[outcome.isAnswered ? "\(outcome.status)" : "no answer", default: 0] += 1
        }
        let errors = Set(outcomes.compactMap(\.error)).prefix(5)
        return "\(outcomes.count) requests \(counts.sorted { $0.key < $1.key })" + (errors.isEmpty ? "" : ", errors: \(Array(errors))")
    }
}

/// Clients applying online in a loop, each application with its own applicant and text.
final class Burst: Sendable {
    let world: RobustnessWorld
    let label: String
    private let stopped = Atomic<Bool>(false)
    private let counter = Atomic<Int>(0)
    private let lastCreated = Mutex<ContinuousClock.Instant?>(nil)
    private let created = Atomic<Int>(0)

    init(world: RobustnessWorld, label: String) {
        self.world = world
        self.label = label
    }

    func stop() { stopped.store(true, ordering: .sequentiallyConsistent) }

    /// Runs `clients` loops until `stop()`; answers every outcome.
    func run(clients: Int, pauseAfterFailure: Duration) async -> [Outcome] {
        await withTaskGroup(of: [Outcome].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var outcomes: [Outcome] = []
                    while !self.stopped.load(ordering: .sequentiallyConsistent) {
                        let outcome = await self.applyOnce()
                        outcomes.append(outcome)
                        if !outcome.isCreated, pauseAfterFailure > .zero { try? await Task.sleep(for: pauseAfterFailure) }
                    }
                    return outcomes
                }
            }
            var all: [Outcome] = []
            for await outcomes in group { all += outcomes }
            return all
        }
    }

    /// Waits until `count` applications have been answered 201; whether they were.
    func waitForCreatedCount(_ count: Int, within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if created.load(ordering: .relaxed) >= count { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits until some client is answered 201 for a request sent after `instant`.
    func waitForCreated(after instant: ContinuousClock.Instant, within limit: Duration) async -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let created = lastCreated.withLock({ $0 }), created > instant { return created }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// One `POST /api/v1/public/applications` with a fresh, valid applicant; never retried.
    func applyOnce() async -> Outcome {
        let number = counter.add(1, ordering: .relaxed).newValue
        let description = "[\(label)-\(number)] 父亲因病丧失劳动能力，家庭无稳定收入，申请最低生活保障。"
        let body: [String: any Sendable] = [
            "county": RobustnessTests.countyCode, "itemCode": "dibao", "placeCode": RobustnessTests.villageCode,
            "applicant": ["name": "张三", "idNumber": Self.idNumber(number), "phone": "13800138000"] as [String: any Sendable],
            "description": description,
        ]
        let started = ContinuousClock.now
        do {
            var request = HTTPClientRequest(url: world.url("/api/v1/public/applications"))
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            let response = try await world.client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
            let status = Int(response.status.code)
            let caseNumber = status == 201 ? object["caseNumber"] as? String : nil
            let finished = ContinuousClock.now
            if caseNumber != nil {
                lastCreated.withLock { $0 = max($0 ?? started, started) }
                created.add(1, ordering: .relaxed)
            }
            let isProblem = response.headers["content-type"].first?.hasPrefix("application/problem+json") == true
                && object["status"] as? Int == status
            return Outcome(description: description, status: status, caseNumber: caseNumber, isProblem: isProblem,
                           error: nil, isTimeout: false, started: started, finished: finished)
        } catch {
            let timeout = (error as? HTTPClientError) == .deadlineExceeded || (error as? HTTPClientError) == .readTimeout
            return Outcome(description: description, status: 0, caseNumber: nil, isProblem: false, error: "\(error)",
                           isTimeout: timeout, started: started, finished: ContinuousClock.now)
        }
    }

    /// A GB 11643 resident id number of Jiangyin (320281), distinct for each `number`.
    static func idNumber(_ number: Int) -> String {
        let day = number / 999
        let first17 = "320281" + String(format: "%04d%02d%02d%03d", 1950 + day / 336, 1 + (day / 28) % 12, 1 + day % 28,
                                        number % 999 + 1)
        return first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
    }
}
