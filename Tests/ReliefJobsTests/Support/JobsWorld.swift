import AsyncHTTPClient
import Foundation
import JobQueue
import Logging
import Postgres
import ReliefDomain
import ReliefJobs
import ReliefStore
import Testing
import TestSupport

/// A county in a fresh database, set up through the store as staff would: a township and a
/// village, the default catalog's departments, a cipher the job runner shares, and an owner
/// pool for checks and for moving deadlines into the past (the owner bypasses row-level
/// security; the store and the runners never use it).
struct JobsWorld: Sendable {
    static let countyCode = "320281000000"
    static let townshipCode = "320281100000"
    static let villageCode = "320281100201"
    static let password = "Jobs-Password-2026"
    static let staffPassword = "Staff-pass-2026"

    let counties: TestCounties
    let owner: ConnectionPool
    let cipher: PersonalDataCipher
    let store: Store
    let countyID: UUID
    let manager: TenantContext
    let villageID: UUID
    /// 民政局 and 医保局.
    let civilID: UUID
    let medicalID: UUID

    /// Runs `body` against a fresh world; closes the pools whatever happens.
    static func run(connections: Int = 8, _ body: @Sendable (JobsWorld) async throws -> Void) async throws {
        let world = try await make(connections: connections)
        do {
            try await body(world)
        } catch {
            await world.close()
            throw error
        }
        await world.close()
    }

    static func make(connections: Int) async throws -> JobsWorld {
        let counties = try await TestCounties.make([(countyCode, "江阴市")], password: password, maximumConnections: connections)
        let owner = ConnectionPool(.init(connection: counties.owner, maximumConnections: 3))
        let (countyID, userID, centerID) = try await owner.query("""
            SELECT u.county_id, u.id, u.department_id FROM users u WHERE u.username = \(TestCounties.managerUsername)
            """).decode((UUID, UUID, UUID?).self)[0]
        let manager = TenantContext(countyID: countyID, userID: userID, orgPath: countyCode, departmentID: centerID,
                                    roles: [.centerManager])
        let store = Store(pool: counties.pool)
        let countyOrg = try await owner.query("SELECT id FROM orgs WHERE tier = 'county'").scalar(UUID.self)!
        let directory = Directory(store: store)
        let township = try await directory.createOrg(manager, tier: .township, divisionCode: townshipCode, name: "澄江街道",
                                                     parentID: countyOrg)
        let village = try await directory.createOrg(manager, tier: .village, divisionCode: villageCode, name: "东门社区",
                                                    parentID: township.id)
        let departments = try await owner.query("SELECT name, id FROM departments").decode((String, UUID).self)
        let byName = Dictionary(departments, uniquingKeysWith: { first, _ in first })
        return JobsWorld(counties: counties, owner: owner, cipher: .ephemeral(), store: store, countyID: countyID,
                         manager: manager, villageID: village.id, civilID: try #require(byName["民政局"]),
                         medicalID: try #require(byName["医保局"]))
    }

    func close() async {
        await owner.close()
        await counties.pool.close()
    }

    var workflow: Workflow { Workflow(store: store) }
    var levels: ServiceLevels { ServiceLevels(store: store) }

    // MARK: Staff

    /// A staff member of `department` with `roles`, as a tenant context.
    func staff(_ username: String, department: UUID, roles: Set<Role>) async throws -> TenantContext {
        let countyOrg = try await owner.query("SELECT id FROM orgs WHERE tier = 'county'").scalar(UUID.self)!
        let user = try await Directory(store: store).createUser(
            manager, username: username, displayName: "经办\(username)", password: Self.staffPassword,
            orgID: countyOrg, departmentID: department, roles: roles)
        return TenantContext(countyID: countyID, userID: user.id, orgPath: Self.countyCode, departmentID: department, roles: roles)
    }

    // MARK: Cases

    static let phone = "13800001234"

    /// A valid resident id number of 320281, distinct for each `n` (0–99 999).
    static func idNumber(_ n: Int) -> String {
        let first17 = "320281" + String(format: "1980%02d%02d", 1 + (n / 999) % 12, 1 + (n / 999 / 12) % 28) + String(format: "%03d", n % 999 + 1)
        return first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
    }

    static func application(_ n: Int, green: String? = nil, phone: String = JobsWorld.phone) throws -> Intake.Application {
        Intake.Application(
            applicant: try Applicant(name: "张三", idNumber: idNumber(n), phone: phone, address: "江阴市澄江街道人民路1号"),
            item: .code("dibao"), place: .divisionCode(villageCode),
            description: "家庭成员重病，收入不足以维持基本生活。（\(n)）", greenChannelReason: green)
    }

    /// Files an online application for applicant `n`.
    @discardableResult
    func file(_ n: Int, green: String? = nil) async throws -> Intake.Receipt {
        try await Intake(store: store, cipher: cipher).applyOnline(countyID: countyID, application: try Self.application(n, green: green))
    }

    func reject(_ caseID: UUID, reason: String = "申请人家庭收入高于当地低保标准") async throws {
        try await workflow.reject(manager, caseID: caseID, reason: reason)
    }

    func dispatch(_ caseID: UUID, to departments: [UUID]) async throws {
        try await workflow.dispatch(manager, caseID: caseID, departmentIDs: departments, leadDepartmentID: departments.first, note: nil)
    }

    func assignment(_ caseID: UUID, _ department: UUID) async throws -> UUID {
        try #require(try await owner.query("""
            SELECT id FROM case_assignments WHERE case_id = \(caseID) AND department_id = \(department)
            """).scalar(UUID.self))
    }

    // MARK: Reading as the owner

    func count(_ query: PostgresQuery) async throws -> Int {
        Int(try await owner.query(query).scalar(Int64.self) ?? 0)
    }

    func events(_ caseID: UUID, _ action: String) async throws -> Int {
        try await count("SELECT count(*) FROM case_events WHERE case_id = \(caseID) AND action = \(action)")
    }

    /// Outcome and attempts of the case's outbox rows of `kind`.
    func outbox(_ caseID: UUID, kind: String) async throws -> [(outcome: String?, attempts: Int)] {
        try await owner.query("""
            SELECT outcome::text, attempts FROM outbox WHERE case_id = \(caseID) AND kind = \(kind) ORDER BY id
            """).decode((String?, Int32).self).map { ($0.0, Int($0.1)) }
    }

    /// Waits until every outbox row of the case has an outcome (or `limit` passes).
    func waitForOutcomes(_ caseID: UUID, within limit: Duration = .seconds(30)) async throws -> Bool {
        try await waitUntil(limit) {
            let pending = try await count("SELECT count(*) FROM outbox WHERE case_id = \(caseID) AND outcome IS NULL")
            let all = try await count("SELECT count(*) FROM outbox WHERE case_id = \(caseID)")
            return pending == 0 && all > 0
        }
    }

    // MARK: Deadlines

    struct StoredDeadline: Sendable {
        let id: UUID
        let stage: String
        let assignmentID: UUID?
        let departmentID: UUID?
        let green: Bool
        let startedAt: Date
        let schedule: SLASchedule
        let extensionWorkingDays: Int
        let endedAt: Date?
        let endReason: String?
    }

    func deadlines(_ caseID: UUID) async throws -> [StoredDeadline] {
        try await owner.query("""
            SELECT id, stage::text, assignment_id, department_id, green, started_at, warn_at, due_at, escalate_at,
                   extension_working_days, ended_at, end_reason
            FROM sla_deadlines WHERE case_id = \(caseID) ORDER BY created_at, stage
            """).decode((UUID, String, UUID?, UUID?, Bool, Date, Date, Date, Date, Int32, Date?, String?).self).map {
                StoredDeadline(id: $0.0, stage: $0.1, assignmentID: $0.2, departmentID: $0.3, green: $0.4, startedAt: $0.5,
                               schedule: SLASchedule(warnAt: $0.6, dueAt: $0.7, escalateAt: $0.8), extensionWorkingDays: Int($0.9),
                               endedAt: $0.10, endReason: $0.11)
            }
    }

    func openDeadlines(_ caseID: UUID) async throws -> [StoredDeadline] {
        try await deadlines(caseID).filter { $0.endedAt == nil }
    }

    /// Moves the deadline's three times into the past (warn 3 min, due 2 min, escalate 1 min ago).
    func moveIntoPast(_ deadlineID: UUID) async throws {
        try await owner.execute("""
            UPDATE sla_deadlines SET warn_at = now() - interval '3 minutes', due_at = now() - interval '2 minutes',
                                     escalate_at = now() - interval '1 minute'
            WHERE id = \(deadlineID)
            """)
    }

    /// Brings every open deadline's timer to now, as the runner's own enqueue would. The
    /// store keys a timer `sla.timer:` + the deadline's id in lower case, as PostgreSQL writes it.
    func enqueueTimersNow() async throws {
        try await owner.execute("""
            SELECT job_queue.enqueue_now('sla.timer', jsonb_build_object('countyID', county_id, 'deadlineID', id), 'sla',
                                         4::smallint, 'sla.timer:' || id, county_id)
            FROM sla_deadlines WHERE ended_at IS NULL
            """)
    }

    /// The county's working calendar, read as the job runner reads it.
    func calendar() async throws -> WorkingCalendar {
        try await store.withJobRunner(countyID: countyID) { try await Calendars(store: store).workingCalendar(in: $0) }
    }

    /// The time limit (working days) of the dibao item.
    func dibaoLimit() async throws -> Int {
        Int(try await owner.query("""
            SELECT v.time_limit_days FROM catalog_items i
            JOIN catalog_item_versions v ON v.county_id = i.county_id AND v.item_id = i.id AND v.version = i.current_version
            WHERE i.code = 'dibao'
            """).scalar(Int32.self) ?? 0)
    }
}

/// Polls `condition` every 100 ms until it holds or `limit` passes; answers whether it held.
func waitUntil(_ limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// Two instants the database and Swift both hold, equal to the millisecond.
func sameInstant(_ a: Date, _ b: Date) -> Bool {
    abs(a.timeIntervalSince(b)) < 0.001
}

// MARK: - A job runner in this process

/// A `JobRunner` with ReliefLink's job kinds, on its own pool of the application's role.
final class RunningJobs: Sendable {
    let runner: JobRunner
    let pool: ConnectionPool
    let http: HTTPClient
    let task: Task<Void, Error>

    private init(runner: JobRunner, pool: ConnectionPool, http: HTTPClient, task: Task<Void, Error>) {
        self.runner = runner
        self.pool = pool
        self.http = http
        self.task = task
    }

    static func start(_ world: JobsWorld, _ configuration: ReliefJobs.Configuration = .init()) -> RunningJobs {
        let pool = ConnectionPool(.init(connection: TestDatabase.appConfiguration(world.counties.owner), maximumConnections: 10))
        let runner = JobRunner(
            pool: pool,
            configuration: JobRunner.Configuration(queues: ReliefJobs.queues, pollInterval: ReliefJobs.pollInterval,
                                                   heartbeatInterval: .milliseconds(200), deadAfter: .seconds(2),
                                                   shutdownGrace: .seconds(5)),
            logger: Logger(label: "test.jobs"))
        let http = ReliefJobs.makeHTTPClient()
        ReliefJobs(store: Store(pool: pool), cipher: world.cipher, http: http, configuration: configuration,
                   logger: Logger(label: "test.jobs")).register(on: runner)
        let task = Task { try await runner.run() }
        return RunningJobs(runner: runner, pool: pool, http: http, task: task)
    }

    func stop() async throws {
        runner.shutdown()
        let result = await task.result
        try? await http.shutdown()
        await pool.close()
        try result.get()
    }

    /// Runs `body` with a runner started, and stops it whatever happens.
    static func with(_ world: JobsWorld, _ configuration: ReliefJobs.Configuration = .init(),
                     _ body: (RunningJobs) async throws -> Void) async throws {
        let jobs = start(world, configuration)
        do {
            try await body(jobs)
        } catch {
            try? await jobs.stop()
            throw error
        }
        try await jobs.stop()
    }
}
