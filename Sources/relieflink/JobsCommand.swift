import ArgumentParser
import Logging
import Postgres
import ServiceLifecycle

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Run the job runner: SLA timers, escalations, notifications, statistics.",
        discussion: "Several runners may run at once; they share the work. Stops gracefully on SIGTERM or Ctrl-C.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.jobs")
        let pool = ConnectionPool(database.pool(try database.requireURL()), logger: logger)
        let runner = JobRunnerService(pool: pool, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [runner], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await pool.close()
    }
}

/// The job runner's process shell. The durable queue and its job kinds come with the
/// job-runner issue; until then the runner checks its database and waits for shutdown.
struct JobRunnerService: Service {
    let pool: ConnectionPool
    let logger: Logger

    func run() async throws {
        try await pool.query("SELECT 1")
        logger.info("job runner started; no job kinds are registered yet")
        try? await gracefulShutdown()
        logger.info("job runner stopped")
    }
}
