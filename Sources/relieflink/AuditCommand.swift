import Foundation
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
        discussion: """
            Exits 0 when the log is intact, 1 when it is broken, and 2 when it could not be checked (the database \
            cannot be reached, or the login is not the log's owner). Run with the owner's DATABASE_URL.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.audit")
        let outcome: AuditVerifier.Outcome
        do {
            let connection = try await PostgresConnection.connect(database.connection(try database.requireURL()), logger: logger)
            defer { Task { await connection.close() } }
            outcome = try await AuditVerifier().verify(on: connection)
        } catch let error as ValidationError {
            throw error
        } catch {
            // Not checked is not intact, and not broken either: a monitor tells them apart.
            FileHandle.standardError.write(Data("relieflink audit verify: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print(outcome)
        if case .broken = outcome { throw ExitCode(1) }
    }
}
