import ArgumentParser
import Postgres
import ReliefStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The audit log: append-only and hash-chained per county.",
        subcommands: [VerifyAuditCommand.self])
}

struct VerifyAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every county's audit chain; name the first entry that breaks it.",
        discussion: "Exits 0 when the log is intact and 1 when it is broken. Run with the owner's DATABASE_URL.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.audit")
        let connection = try await PostgresConnection.connect(database.connection(try database.requireURL()), logger: logger)
        let outcome = try await AuditVerifier().verify(on: connection)
        await connection.close()
        print(outcome)
        if case .broken = outcome { throw ExitCode(1) }
    }
}
