import ArgumentParser
import Foundation
import Postgres
import ReliefStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations built into this binary (run as the schema owner).",
        discussion: """
            Applies sql/migrations in order, each in its own transaction, under an advisory lock, so
            two migrators started at once are safe. A second run applies nothing. A migration that
            was edited after it was applied is refused, naming the file.
            """)

    @Flag(name: .long, help: "List applied and pending migrations; change nothing.")
    var status = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.migrate")
        let connection = try await PostgresConnection.connect(database.connection(try database.requireURL()), logger: logger)
        defer { Task { await connection.close() } }
        let migrator = try Migrator(logger: logger)
        if status {
            print(render(try await migrator.status(connection)))
        } else {
            let applied = try await migrator.migrate(connection)
            if applied.isEmpty {
                print("Nothing to apply: all \(migrator.migrations.count) migration(s) are applied.")
            } else {
                applied.forEach { print("applied \($0.name)") }
            }
        }
    }

    private func render(_ statuses: [Migrator.Status]) -> String {
        let width = max(4, statuses.map(\.name.count).max() ?? 0)
        var lines = ["\("name".padding(toLength: width, withPad: " ", startingAt: 0))  applied at (UTC)"]
        for status in statuses {
            let when = status.appliedAt.map { $0.formatted(.iso8601) } ?? "pending"
            lines.append("\(status.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(when)")
        }
        let pending = statuses.filter { $0.appliedAt == nil }.count
        lines.append("\(statuses.count - pending) applied, \(pending) pending")
        return lines.joined(separator: "\n")
    }
}
