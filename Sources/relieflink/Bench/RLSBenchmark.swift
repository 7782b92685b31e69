import ArgumentParser
import Foundation
import LocalPostgres
import Logging
import Postgres
import ReliefDomain
import ReliefStore

/// `relieflink bench rls`: the case list through row-level security, beside the owner running
/// the equivalent WHERE clause, over a million cases, in the same run.
struct RLSBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rls",
        abstract: "The case-list query as an application-role user through RLS, beside the owner with the equivalent WHERE.",
        discussion: """
            Loads one county with 5 townships of 10 villages each and --cases cases, then times the first
            page of the case list (newest 50) for a township agent and for a center agent, both ways.
            Both run the same transaction shape and set the same context; the application's transaction
            takes the staff role, whose policies apply, while the owner keeps its own role and filters by
            its WHERE clause alone. The page size is an integer literal on both sides and later pages
            continue from the last case shown, as the case list writes them. Each side runs on its own
            connection's event loop; the figures are medians of alternating quarter-second slices.
            Without DATABASE_URL a private, non-durable PostgreSQL is started. Target: ratio ≤ 1.1.
            """)

    @OptionGroup var options: BenchmarkOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: "Cases to load (at least 25000: page 100 of one township's list must exist).")
    var cases = 1_000_000

    func validate() throws {
        // Five townships share the cases; page 100 of 50 starts at a township's 4,951st case.
        guard cases >= 25_000 else { throw ValidationError("--cases must be at least 25000, so that page 100 of a township's list exists") }
    }

    func run() async throws {
        var logger = try logging.makeLogger("relieflink.bench")
        if options.json { logger.logLevel = .warning }
        let cluster = try await LocalPostgresCluster.start(options: .init(durable: false), logger: logger)
        do {
            let report = try await measure(cluster: cluster, logger: logger)
            print(options.json ? try report.json() : """
                relieflink bench rls — case list through row-level security beside the owner's equivalent WHERE
                (\(cases) cases; milliseconds per query, median of alternating quarter-second slices over \(options.seconds) s each; ratio = RLS / owner, lower is better)

                \(report.table(referenceName: "owner"))
                """)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func measure(cluster: LocalPostgresCluster, logger: Logger) async throws -> BenchmarkReport {
        try await cluster.createDatabase("relieflink_bench")
        let ownerConfiguration = ConnectionConfiguration(cluster.connectionString(database: "relieflink_bench"))
        let owner = try await PostgresConnection.connect(ownerConfiguration, logger: logger)
        try await Migrator(logger: logger).migrate(owner)
        try await owner.executeScript("CREATE ROLE relieflink_bench_web LOGIN IN ROLE relieflink_app")
        let county = try await CountyBootstrap().createManager(
            on: owner, countyCode: "320281000000", countyName: "基准县", username: "manager",
            displayName: "基准", password: "Bench-pass-2026")
        var villages: [(id: UUID, path: String)] = []
        var townships: [String] = []
        try await owner.transaction { connection in
            try await connection.execute("SELECT set_config('app.county_id', \(county.countyID.uuidString), true)")
            let countyOrg = try await connection.query("SELECT id FROM orgs WHERE county_id = \(county.countyID)").scalar(UUID.self)!
            for township in 1...5 {
                let townshipCode = "320281\(String(format: "%03d", township))000"
                let townshipID = UUID()
                let townshipPath = "320281000000.\(townshipCode)"
                townships.append(townshipPath)
                try await connection.execute("""
                    INSERT INTO orgs (county_id, id, tier, division_code, name, parent_id, path)
                    VALUES (\(county.countyID), \(townshipID), 'township', \(townshipCode), \("镇\(township)"), \(countyOrg), \(townshipPath)::ltree)
                    """)
                for village in 1...10 {
                    let code = "320281\(String(format: "%03d", township))\(String(format: "%03d", village))"
                    let id = UUID()
                    villages.append((id, "\(townshipPath).\(code)"))
                    try await connection.execute("""
                        INSERT INTO orgs (county_id, id, tier, division_code, name, parent_id, path)
                        VALUES (\(county.countyID), \(id), 'village', \(code), \("村\(code)"), \(townshipID), \(townshipPath + "." + code)::ltree)
                        """)
                }
            }
        }
        let total = cases
        let countyID = county.countyID
        let start = Date().addingTimeInterval(-Double(total))
        try await owner.copyIn(table: "cases", columns: ["county_id", "id", "org_id", "org_path", "title", "created_at"]) { writer in
            for index in 0..<total {
                let village = villages[index % villages.count]
                try await writer.write([countyID, UUID(), village.id, village.path, "申请\(index)", start.addingTimeInterval(Double(index))])
            }
        }
        try await owner.executeScript("VACUUM ANALYZE cases")
        await owner.close()

        let appPool = ConnectionPool(.init(connection: ConnectionConfiguration(
            cluster.connectionString(database: "relieflink_bench", user: "relieflink_bench_web")), maximumConnections: 1))
        let ownerPool = ConnectionPool(.init(connection: ownerConfiguration, maximumConnections: 1))
        let appStore = Store(pool: appPool)
        // Each pool holds one connection; each side runs its transactions on that connection's
        // event loop, so a transaction's four statements take no thread hop each, and which
        // loop a side's connection landed on does not weigh on its figure.
        let appLoop = try await appPool.withConnection { $0.executor }
        let ownerLoop = try await ownerPool.withConnection { $0.executor }
        var report = BenchmarkReport(benchmark: "rls")
        let township = townships[2]
        let page100 = try await ownerPool.query("""
            SELECT created_at FROM cases WHERE county_id = \(countyID) AND org_path <@ \(township)::ltree
            ORDER BY created_at DESC OFFSET \(4949) LIMIT 1
            """).scalar(Date.self)!
        let people: [(String, TenantContext, PostgresQuery, PostgresQuery)] = [
            ("case list, first page, township agent",
             TenantContext(countyID: countyID, userID: UUID(), orgPath: township, departmentID: nil, roles: [.townshipAgent]),
             "SELECT id, title, created_at FROM cases ORDER BY created_at DESC LIMIT \(literal: 50)",
             "SELECT id, title, created_at FROM cases WHERE county_id = \(countyID) AND org_path <@ \(township)::ltree ORDER BY created_at DESC LIMIT \(literal: 50)"),
            ("case list, first page, center agent",
             TenantContext(countyID: countyID, userID: UUID(), orgPath: "320281000000", departmentID: nil, roles: [.centerAgent]),
             "SELECT id, title, created_at FROM cases ORDER BY created_at DESC LIMIT \(literal: 50)",
             "SELECT id, title, created_at FROM cases WHERE county_id = \(countyID) ORDER BY created_at DESC LIMIT \(literal: 50)"),
            // Later pages continue from the last case shown (`before`), as the case list pages.
            ("case list, page 100, township agent",
             TenantContext(countyID: countyID, userID: UUID(), orgPath: township, departmentID: nil, roles: [.townshipAgent]),
             "SELECT id, title, created_at FROM cases WHERE created_at < \(page100) ORDER BY created_at DESC LIMIT \(literal: 50)",
             "SELECT id, title, created_at FROM cases WHERE county_id = \(countyID) AND org_path <@ \(township)::ltree AND created_at < \(page100) ORDER BY created_at DESC LIMIT \(literal: 50)"),
        ]
        for (name, context, rlsQuery, ownerQuery) in people {
            // The owner's transaction has the same shape and sets the same context, but keeps
            // its own role: no policy applies to it, only its WHERE clause.
            let asOwner = {
                try await ownerPool.transaction { connection in
                    // Built for each transaction, as the store builds the application's.
                    let ownerSettings: PostgresQuery = """
                        SELECT set_config('app.county_id', \(context.countyID.uuidString), true),
                               set_config('app.user_id', \(context.userID.uuidString), true),
                               set_config('app.org_path', \(context.orgPath), true),
                               set_config('app.department_id', '', true),
                               set_config('app.roles', \(context.rolesLiteral), true)
                        """
                    try await connection.execute(ownerSettings)
                    return try await connection.query(ownerQuery)
                }
            }
            let rows = try await appStore.withTenant(context) { try await $0.query(rlsQuery).count }
            let ownerRows = try await asOwner().count
            guard rows == ownerRows, rows > 0 else { throw ValidationError("\(name): RLS returned \(rows) rows, the owner \(ownerRows)") }
            let (viaRLS, viaOwner) = try await interleavedMedians(
                { try await withTaskExecutorPreference(appLoop) { _ = try await appStore.withTenant(context) { try await $0.query(rlsQuery) } } },
                { try await withTaskExecutorPreference(ownerLoop) { _ = try await asOwner() } })
            report.rows.append(.init(name: name, unit: "ms", ours: viaRLS, reference: viaOwner))
        }
        await appPool.close()
        await ownerPool.close()
        return report
    }

    /// Milliseconds per query of each side: the median over alternating quarter-second slices
    /// of the whole run, each slice's own mean. Alternating puts a slow stretch of a shared
    /// machine on both sides; the median keeps a slice that a neighbour's burst slowed from
    /// moving either figure.
    private func interleavedMedians(_ ours: () async throws -> Void, _ reference: () async throws -> Void) async throws -> (Double, Double) {
        for _ in 0..<20 {
            try await ours()
            try await reference()
        }
        let clock = ContinuousClock()
        let slice = Duration.milliseconds(250)
        var slices: [[Double]] = [[], []]
        let end = clock.now + .milliseconds(Int(options.seconds * 2000))
        var side = 0
        while clock.now < end || slices[1].count < slices[0].count {
            let start = clock.now
            var count = 0
            while clock.now - start < slice {
                try await (side == 0 ? ours() : reference())
                count += 1
            }
            slices[side].append((clock.now - start).inSeconds * 1000 / Double(count))
            side = 1 - side
        }
        return (median(slices[0]), median(slices[1]))
    }
}
