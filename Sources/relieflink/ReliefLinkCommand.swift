import ArgumentParser
import Foundation
import Logging

@main
struct ReliefLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relieflink",
        abstract: "ReliefLink 社会救助联动平台 — the back office of a county social relief center (DB32/T 4012-2021).",
        discussion: """
            Try it:            relieflink demo        (starts a private PostgreSQL, migrates, serves)
            Run in production: relieflink migrate, then relieflink serve and relieflink jobs,
                               with DATABASE_URL pointing at your PostgreSQL.
            Every option can also be set by the environment variable named in its help.
            """,
        subcommands: [
            ServeCommand.self, JobsCommand.self, MigrateCommand.self, DemoCommand.self, AdminCommand.self, AuditCommand.self, BenchCommand.self,
        ]
    )

    /// As ArgumentParser's, except that with LOG_FORMAT=json an error that stops a command is
    /// one JSON log line too, so log collectors see why a server did not start. Usage errors
    /// and help stay text: they are for the person at the keyboard.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let jsonLogs = ProcessInfo.processInfo.environment["LOG_FORMAT"]?.lowercased() == "json"
            guard jsonLogs, code != .success, code != .validationFailure else { exit(withError: error) }
            var logger = Logger(label: "relieflink") { JSONLogHandler(label: $0) }
            logger.logLevel = .critical
            logger.critical("\(message(for: error))", metadata: ["exit_code": "\(code.rawValue)"])
            Foundation.exit(code.rawValue)
        }
    }
}
