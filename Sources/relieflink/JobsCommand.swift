import ArgumentParser
import AsyncHTTPClient
import Foundation
import JobQueue
import Logging
import Postgres
import ReliefJobs
import ReliefStore
import ServiceLifecycle

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Run the job runner (SLA timers, escalations, notifications), or look after its queue.",
        discussion: """
            `relieflink jobs` runs a runner; several may run at once and share the work. It stops \
            gracefully on SIGTERM or Ctrl-C: it stops claiming, lets running jobs finish within the \
            grace period and hands the rest back. Needs RELIEFLINK_DATA_KEYS (id:base64 keys sealing personal data, the last current) and RELIEFLINK_LOOKUP_KEY (base64), 32 random bytes each (openssl rand -base64 32); the README lists every variable.
            """,
        subcommands: [JobsRunCommand.self, JobsStatusCommand.self, JobsRetryCommand.self, JobsDiscardCommand.self, JobsCancelCommand.self],
        defaultSubcommand: JobsRunCommand.self)
}

struct JobsRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job runner until SIGTERM or Ctrl-C.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var delivery: DeliveryOptions

    @Option(name: .customLong("shutdown-grace"), help: "Seconds running jobs may take to finish on shutdown (env: RELIEFLINK_JOBS_SHUTDOWN_GRACE; default 20).")
    var shutdownGrace: Int?

    func validate() throws {
        try checkNumber(shutdownGrace, flagName: "shutdown-grace", "RELIEFLINK_JOBS_SHUTDOWN_GRACE", in: 0...3600)
    }

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.jobs")
        let cipher = try personalDataCipher()
        let pool = ConnectionPool(database.pool(try database.requireURL()), logger: logger)
        let http = ReliefJobs.makeHTTPClient()
        var configuration = JobRunner.Configuration(queues: ReliefJobs.queues, pollInterval: ReliefJobs.pollInterval)
        configuration.shutdownGrace = .seconds(resolve(shutdownGrace, "RELIEFLINK_JOBS_SHUTDOWN_GRACE") { Int($0) } ?? 20)
        let runner = JobRunner(pool: pool, configuration: configuration, logger: logger)
        ReliefJobs(store: Store(pool: pool), cipher: cipher, http: http, configuration: delivery.configuration, logger: logger)
            .register(on: runner)
        await warnIfLoginIsPrivileged(pool, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [JobRunnerService(runner: runner)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await http.shutdown()
            await pool.close()
            throw error
        }
        try? await http.shutdown()
        await pool.close()
    }
}

/// Where applicant notices go (see ReliefJobs.Configuration).
struct DeliveryOptions: ParsableArguments {
    @Option(name: .customLong("notice-file"), help: ArgumentHelp(
        "Append applicant notices to this file, phones masked (env: RELIEFLINK_NOTICE_FILE; default: the log).", valueName: "path"))
    var noticeFile: String?

    @Option(name: .customLong("sms-webhook-url"), help: ArgumentHelp(
        "Send applicant notices to this SMS gateway as signed JSON POSTs (env: RELIEFLINK_SMS_WEBHOOK_URL; its secret: RELIEFLINK_SMS_WEBHOOK_SECRET).",
        valueName: "url"))
    var smsWebhookURL: String?

    /// A notice file whose folder is missing, or that is a folder itself, a gateway address
    /// that is no http(s) URL, or a gateway without the secret its POSTs are signed with, is
    /// refused at start, not at the first notice.
    func validate() throws {
        if let path = resolve(noticeFile, "RELIEFLINK_NOTICE_FILE", { $0 }) {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
                  FileManager.default.isWritableFile(atPath: folder) else {
                throw ValidationError("the notice file's folder \(folder) does not exist or cannot be written")
            }
            var pathIsFolder: ObjCBool = false
            if path.hasSuffix("/") || FileManager.default.fileExists(atPath: path, isDirectory: &pathIsFolder) && pathIsFolder.boolValue {
                throw ValidationError("the notice file \(path) is a folder; name a file in it")
            }
        }
        if let address = resolve(smsWebhookURL, "RELIEFLINK_SMS_WEBHOOK_URL", { $0 }) {
            guard let url = URL(string: address), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("the SMS gateway address is not an http(s) URL")
            }
            guard smsWebhookSecret != nil else {
                throw ValidationError("the SMS gateway needs RELIEFLINK_SMS_WEBHOOK_SECRET: its POSTs are signed with it")
            }
        }
    }

    private var smsWebhookSecret: String? {
        ProcessInfo.processInfo.environment["RELIEFLINK_SMS_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var configuration: ReliefJobs.Configuration {
        ReliefJobs.Configuration(
            noticeFile: resolve(noticeFile, "RELIEFLINK_NOTICE_FILE") { $0 },
            smsWebhookURL: resolve(smsWebhookURL, "RELIEFLINK_SMS_WEBHOOK_URL") { $0 },
            smsWebhookSecret: smsWebhookSecret)
    }
}

/// The runner as a service of the process: a graceful shutdown stops it claiming.
struct JobRunnerService: Service {
    let runner: JobRunner

    /// A graceful shutdown, or the group cancelled because another service failed (the HTTP
    /// server could not listen), stops the runner the same way: it stops claiming, lets jobs
    /// in flight finish within the grace period and hands the rest back. The runner runs in a
    /// task of its own so that cancellation reaches it as that request, not as a failure of
    /// every statement it still has to run.
    func run() async throws {
        let running = Task { try await runner.run() }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: {
                runner.shutdown()
            }
        } onGracefulShutdown: {
            runner.shutdown()
        }
    }
}
