import ArgumentParser
import Foundation
import Postgres
import ReliefDomain
import ReliefStore

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administrative tasks run with the owner's database URL.",
        subcommands: [CreateUserCommand.self])
}

struct CreateUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user",
        abstract: "Bootstrap a county and its first center manager (救助中心管理员).",
        discussion: """
            Creates the county (by its 12-digit division code) with its county-level org, its social
            relief center and its joint-meeting office if they do not exist yet, and a user holding
            the center manager role, who then configures everything else through the API.
            The password is read from RELIEFLINK_ADMIN_PASSWORD or, when that is unset, from
            standard input, so it never shows in the process list or shell history.
            """)

    @Option(help: "The county's 12-digit division code, e.g. 320281000000.")
    var county: String

    @Option(help: "The county's name, e.g. 江阴市.")
    var countyName: String

    @Option(help: "Sign-in name: 3–64 of a-z, 0-9, _ . -")
    var username: String

    @Option(help: "The name shown to colleagues.")
    var displayName: String

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    /// What can be checked without the database is checked before a password is asked for.
    func validate() throws {
        guard DivisionCode.isWellFormed(county), county.hasSuffix("000000") else {
            throw ValidationError("--county is \(county); a county's division code is 12 digits ending in 000000, e.g. 320281000000")
        }
    }

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.admin")
        let password: String
        if let fromEnvironment = ProcessInfo.processInfo.environment["RELIEFLINK_ADMIN_PASSWORD"], !fromEnvironment.isEmpty {
            password = fromEnvironment
        } else {
            // A prompt only for a person at a terminal; a password piped in needs none.
            if isatty(STDIN_FILENO) != 0 { FileHandle.standardError.write(Data("Password for \(username): ".utf8)) }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password given (set RELIEFLINK_ADMIN_PASSWORD or type it on standard input)")
            }
            password = line
        }
        let connection = try await PostgresConnection.connect(database.connection(try database.requireURL()), logger: logger)
        defer { Task { await connection.close() } }
        let result = try await CountyBootstrap().createManager(
            on: connection, countyCode: county, countyName: countyName, username: username,
            displayName: displayName, password: password)
        print("created center manager \(username) (user \(result.userID)) in county \(county) (\(result.countyID))")
    }
}
