import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import JobQueue
import LocalPostgres
import Logging
import Postgres
import ReliefAPI
import ReliefDomain
import ReliefJobs
import ReliefStore
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Try ReliefLink at once: a private PostgreSQL, migrated, served over HTTP.",
        discussion: """
            Without DATABASE_URL it starts a PostgreSQL cluster of its own in a temporary folder
            (unix socket only, no TCP), and stops and removes it when the demo ends, also on Ctrl-C.
            With DATABASE_URL it uses that database instead, and then needs RELIEFLINK_DATA_KEYS and \
            RELIEFLINK_LOOKUP_KEY as serve does. RELIEFLINK_PG_BINDIR says where initdb and pg_ctl are, \
            if not in /usr/lib/postgresql/*/bin or PATH.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var delivery: DeliveryOptions

    @Option(name: .customLong("applications"), help: "How many applications to seed the demo county with.")
    var applications = 300

    func validate() throws {
        guard (0...100_000).contains(applications) else {
            throw ValidationError("--applications is \(applications); it should be from 0 to 100000")
        }
    }

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.demo")
        try http.checkListening()
        var cluster: LocalPostgresCluster?
        let url: String
        var appURL: String?
        if let configured = database.url {
            url = configured
        } else {
            let local = try await LocalPostgresCluster.start(logger: logger)
            cluster = local
            try await local.createDatabase("relieflink")
            url = local.connectionString(database: "relieflink")
            appURL = local.connectionString(database: "relieflink", user: "relieflink_web")
        }
        do {
            try await serve(url: url, appURL: appURL ?? url, cluster: cluster, logger: logger)
        } catch {
            await cluster?.stop()
            throw error
        }
        await cluster?.stop()
    }

    /// Migrates as the owner, bootstraps a demo county and its manager, then serves through
    /// the application role, as production does.
    private func serve(url: String, appURL: String, cluster: LocalPostgresCluster?, logger: Logger) async throws {
        // The private database goes with the demo, so keys that go with it too are enough;
        // a configured database gets the configured keys.
        let cipher = cluster == nil ? try personalDataCipher() : PersonalDataCipher.ephemeral()
        let owner = try await PostgresConnection.connect(database.connection(url), logger: logger)
        try await Migrator(logger: logger).migrate(owner)
        if cluster != nil {
            try await owner.executeScript("""
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'relieflink_web') THEN
                        CREATE ROLE relieflink_web LOGIN IN ROLE relieflink_app;
                    END IF;
                END $$
                """)
        }
        let password = "Demo-" + String(UInt32.random(in: 100_000_000...999_999_999))
        var signIn: String
        var freshCounty = false
        do {
            _ = try await CountyBootstrap().createManager(
                on: owner, countyCode: DemoCounty.countyCode, countyName: "江阴市（演示）", username: "manager",
                displayName: "演示管理员", password: password)
            signIn = "county \(DemoCounty.countyCode), password \(password) for every user:\n"
                + "                manager (\(Role.centerManager.title))\n"
                + DemoCounty.users.map { "                \($0.username) (\($0.role.title))" }.joined(separator: "\n")
            freshCounty = true
        } catch CountyBootstrap.Failure.usernameTaken {
            signIn = "county \(DemoCounty.countyCode), username manager (created by an earlier demo)"
        }
        await owner.close()

        let pool = ConnectionPool(database.pool(appURL), logger: logger)
        if freshCounty {
            FileHandle.standardOutput.write(Data("Seeding the demo county (townships, villages, users, windows, applications)…\n".utf8))
            try await DemoCounty(store: Store(pool: pool), cipher: cipher, logger: logger)
                .seed(managerPassword: password, password: password, applications: applications)
        }
        let app = try HTTPServer.application(configuration: http.serverConfiguration, pool: pool, cipher: cipher, logger: logger)
        // The job runner in the same process, as `relieflink jobs` runs it.
        let httpClient = ReliefJobs.makeHTTPClient()
        let jobRunner = JobRunner(pool: pool, configuration: JobRunner.Configuration(queues: ReliefJobs.queues, pollInterval: ReliefJobs.pollInterval), logger: logger)
        ReliefJobs(store: Store(pool: pool), cipher: cipher, http: httpClient, configuration: delivery.configuration, logger: logger)
            .register(on: jobRunner)
        let runner = JobRunnerService(runner: jobRunner)
        // Written unbuffered, so the banner shows at once also through a pipe.
        FileHandle.standardOutput.write(Data("""

            ReliefLink 社会救助联动平台 — demo
              API:        http://\(http.resolvedHostname):\(http.resolvedPort)/healthz, /readyz, /openapi.yaml
              sign in:    POST /api/v1/sessions — \(signIn)
              apply:      POST /api/v1/public/applications (no sign-in; see GET /api/v1/public/counties/\(DemoCounty.countyCode))
              database:   \(cluster.map { "private PostgreSQL in \($0.baseDirectory.path) (removed on exit)" } ?? "DATABASE_URL")
              stop:       Ctrl-C


            """.utf8))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: runner)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await httpClient.shutdown()
            await pool.close()
            throw http.listenFailure(error)
        }
        try? await httpClient.shutdown()
        await pool.close()
    }
}
