import Foundation
import Postgres
import ReliefDomain
import ReliefStore
import Synchronization
import Testing
import TestSupport

/// "Each warning, notice and escalation happens exactly once per deadline, also with two
/// runners and with a runner killed by SIGKILL mid-job" (issue 6): two `relieflink jobs`
/// processes over 300 deadlines whose three steps are all due; one is killed with SIGKILL as
/// soon as the first escalations appear; the other takes up the killed one's jobs within
/// seconds, and every deadline ends with each step taken exactly once.
@Suite("relieflink jobs killed mid-run", .serialized)
struct SLAKillTests {
    static let cases = 300

    @Test("SIGKILL of one of two runners mid-run: every deadline warned, due and escalated exactly once; the killed runner shows as lost",
          .timeLimit(.minutes(2)))
    func sigkillMidRun() async throws {
        try await KillWorld.run { try await Self.sigkillMidRun($0) }
    }

    static func sigkillMidRun(_ world: KillWorld) async throws {
        try await world.fileCases(cases)
        let first = try world.startRunner("a")
        let second = try world.startRunner("b")
        try await world.waitForSyncs(cases, runners: [first, second])
        try await world.makeAllDue()
        let killed = try await world.killAtFirstEscalation(first)
        print("[sla-kill] runner \(first.process.processIdentifier) killed holding \(killed.held) running jobs, "
              + "\(killed.escalated) deadlines escalated at that moment")
        #expect(killed.escalated < cases, "the kill came after all the work was done: nothing was left mid-run")
        #expect(killed.held > 0, "the killed runner held no job at the kill: nothing to rescue")
        let finished = try await world.waitForAllEscalated(cases, rescuing: killed.runnerID, within: .seconds(40))
        #expect(finished, "not every deadline escalated within 40 s of the kill: \(second.logTail())")
        try await world.expectStatusShowsLost(killed)
        await world.stop(second)
        try await world.expectEachStepOnce(cases)
    }
}

/// The suite's PostgreSQL with a migrated database, county 320281000000 with a village,
/// data keys shared by this process and the runners it starts, and the runners' logs.
final class KillWorld: Sendable {
    let counties: TestCounties
    let owner: ConnectionPool
    let cipher: PersonalDataCipher
    let environment: [String: String]
    let logFolder: URL
    let countyID: UUID
    let runners = Mutex<[ServerProcess]>([])

    static let countyCode = "320281000000"
    static let villageCode = "320281100201"

    private init(counties: TestCounties, owner: ConnectionPool, cipher: PersonalDataCipher, environment: [String: String],
                 logFolder: URL, countyID: UUID) {
        self.counties = counties
        self.owner = owner
        self.cipher = cipher
        self.environment = environment
        self.logFolder = logFolder
        self.countyID = countyID
    }

    static func run(_ body: (KillWorld) async throws -> Void) async throws {
        let world = try await make()
        do {
            try await body(world)
        } catch {
            await world.tearDown()
            throw error
        }
        await world.tearDown()
    }

    static func make() async throws -> KillWorld {
        let counties = try await TestCounties.make(password: "Kill-Password-2026", maximumConnections: 8)
        let owner = ConnectionPool(.init(connection: counties.owner, maximumConnections: 2))
        let dataKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let lookupKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let environment = [
            "DATABASE_URL": TestDatabase.appConfiguration(counties.owner).connectionString,
            "RELIEFLINK_DATA_KEYS": "k1:\(dataKey)", "RELIEFLINK_LOOKUP_KEY": lookupKey, "LOG_LEVEL": "warning",
        ]
        let logFolder = FileManager.default.temporaryDirectory.appending(path: "sla-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)
        let countyID = try await owner.query("SELECT county_id FROM counties").scalar(UUID.self)!
        let world = KillWorld(counties: counties, owner: owner, cipher: try PersonalDataCipher(environment: environment),
                              environment: environment, logFolder: logFolder, countyID: countyID)
        try await world.createVillage()
        return world
    }

    func tearDown() async {
        for runner in runners.withLock({ $0 }) { await runner.kill() }
        await owner.close()
        await counties.pool.close()
        try? FileManager.default.removeItem(at: logFolder)
    }

    var store: Store { Store(pool: counties.pool) }

    // MARK: The county and its cases

    func manager() async throws -> TenantContext {
        let (userID, centerID) = try await owner.query("SELECT id, department_id FROM users WHERE username = 'manager'")
            .decode((UUID, UUID?).self)[0]
        return TenantContext(countyID: countyID, userID: userID, orgPath: Self.countyCode, departmentID: centerID, roles: [.centerManager])
    }

    private func createVillage() async throws {
        let manager = try await manager()
        let countyOrg = try await owner.query("SELECT id FROM orgs WHERE tier = 'county'").scalar(UUID.self)!
        let directory = Directory(store: store)
        let township = try await directory.createOrg(manager, tier: .township, divisionCode: "320281100000", name: "澄江街道", parentID: countyOrg)
        _ = try await directory.createOrg(manager, tier: .village, divisionCode: Self.villageCode, name: "东门社区", parentID: township.id)
    }

    static func application(_ n: Int) throws -> Intake.Application {
        let first17 = "320281" + String(format: "1970%02d%02d", 1 + (n / 999) % 12, 1 + (n / 999 / 12) % 28) + String(format: "%03d", n % 999 + 1)
        let idNumber = first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
        return Intake.Application(applicant: try Applicant(name: "李四", idNumber: idNumber, phone: "13900001234", address: nil),
                                  item: .code("dibao"), place: .divisionCode(villageCode),
                                  description: "因病致贫，申请最低生活保障。（\(n)）")
    }

    /// Files `count` online applications, 8 at a time; each enqueues its `sla.sync` job.
    func fileCases(_ count: Int) async throws {
        let intake = Intake(store: store, cipher: cipher)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                if n >= 8 { try await group.next() }
                group.addTask { _ = try await intake.applyOnline(countyID: self.countyID, application: try Self.application(n)) }
            }
            try await group.waitForAll()
        }
    }

    // MARK: The runners

    func startRunner(_ name: String) throws -> ServerProcess {
        let runner = try ServerProcess.start(arguments: ["jobs"], environment: environment,
                                             log: logFolder.appending(path: "jobs-\(name).log"))
        runners.withLock { $0.append(runner) }
        return runner
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        Int(try await owner.query(query).scalar(Int64.self) ?? 0)
    }

    /// Waits until both runners are registered and have opened every case's deadline.
    func waitForSyncs(_ cases: Int, runners: [ServerProcess]) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let registered = try await count("""
                SELECT count(*) FROM job_queue.runners WHERE pid = ANY(\(runners.map { Int32($0.process.processIdentifier) }))
                """)
            let open = try await count("SELECT count(*) FROM sla_deadlines WHERE ended_at IS NULL")
            if registered == runners.count, open == cases { return }
            for runner in runners { try #require(runner.process.isRunning, "a runner exited: \(runner.logTail())") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RobustnessFailure("the runners did not open \(cases) deadlines within 30 s")
    }

    /// Moves every open deadline's three times into the past and brings its timer to now.
    func makeAllDue() async throws {
        try await owner.transaction { connection in
            try await connection.execute("""
                UPDATE sla_deadlines SET warn_at = now() - interval '3 minutes', due_at = now() - interval '2 minutes',
                                         escalate_at = now() - interval '1 minute'
                WHERE ended_at IS NULL
                """)
            // The store keys a timer `sla.timer:` + the deadline's id in lower case.
            try await connection.execute("""
                SELECT job_queue.enqueue_now('sla.timer', jsonb_build_object('countyID', county_id, 'deadlineID', id), 'sla',
                                             4::smallint, 'sla.timer:' || id, county_id)
                FROM sla_deadlines WHERE ended_at IS NULL
                """)
        }
    }

    struct Killed: Sendable {
        let pid: Int32
        let runnerID: UUID
        let held: Int
        let escalated: Int
    }

    /// SIGKILLs `runner` as soon as the first escalation exists; answers what it held then.
    func killAtFirstEscalation(_ runner: ServerProcess) async throws -> Killed {
        let pid = runner.process.processIdentifier
        let runnerID = try #require(try await owner.query("SELECT id FROM job_queue.runners WHERE pid = \(Int32(pid))").scalar(UUID.self))
        let deadline = ContinuousClock.now + .seconds(20)
        while try await count("SELECT count(*) FROM escalations") == 0 {
            guard ContinuousClock.now < deadline else { throw RobustnessFailure("no escalation within 20 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
        await runner.kill()
        let held = try await count("SELECT count(*) FROM job_queue.jobs WHERE state = 'running' AND runner_id = \(runnerID)")
        let escalated = try await count("SELECT count(*) FROM sla_deadlines WHERE escalated_at IS NOT NULL")
        return Killed(pid: pid, runnerID: runnerID, held: held, escalated: escalated)
    }

    /// Waits until every deadline escalated and no job is left with the killed runner.
    func waitForAllEscalated(_ cases: Int, rescuing runnerID: UUID, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let escalated = try await count("SELECT count(*) FROM sla_deadlines WHERE escalated_at IS NOT NULL")
            let held = try await count("SELECT count(*) FROM job_queue.jobs WHERE state = 'running' AND runner_id = \(runnerID)")
            let pending = try await count("""
                SELECT count(*) FROM job_queue.jobs WHERE kind = 'sla.timer' AND (state IN ('available', 'running')
                    OR (state = 'scheduled' AND run_at <= now()))
                """)
            if escalated == cases, held == 0, pending == 0 { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// `relieflink jobs status` shows the killed runner lost, holding nothing.
    func expectStatusShowsLost(_ killed: Killed) async throws {
        var line: String?
        let deadline = ContinuousClock.now + .seconds(15)
        repeat {
            let status = try await relieflink(["jobs", "status"], environment: environment)
            #expect(status.status == .exited(0), "jobs status: \(status.error)")
            line = status.output.split(separator: "\n").map(String.init).first { $0.contains(":\(killed.pid) ") }
            if line?.contains("lost") == true { break }
            try await Task.sleep(for: .milliseconds(500))
        } while ContinuousClock.now < deadline
        #expect(line?.contains("lost") == true && line?.contains("running 0,") == true, "the killed runner: \(line ?? "not listed")")
    }

    /// SIGTERM: the runner stops gracefully.
    func stop(_ runner: ServerProcess) async {
        runner.process.terminate()
        await runner.waitForExit()
        #expect(runner.process.terminationStatus == 0, "the runner's exit: \(runner.process.terminationStatus) \(runner.logTail())")
    }

    // MARK: Exactly once

    func expectEachStepOnce(_ deadlines: Int) async throws {
        let wrong = try await owner.query(SLAChecks.exactlyOnceViolations).column(String.self)
        #expect(wrong.isEmpty, "deadlines with a step missing or repeated (\(wrong.count)): \(wrong.prefix(5))")
        #expect(try await count("SELECT count(*) FROM sla_deadlines") == deadlines)
        #expect(try await count("SELECT count(*) FROM staff_notices") == 3 * deadlines)
        #expect(try await count("SELECT count(*) FROM escalations") == deadlines)
        #expect(try await count("SELECT count(*) FROM case_events WHERE action LIKE 'sla\\_%'") == 3 * deadlines)
        #expect(try await count("SELECT count(*) FROM job_queue.jobs WHERE kind LIKE 'sla.%' AND state = 'failed'") == 0)
    }
}
