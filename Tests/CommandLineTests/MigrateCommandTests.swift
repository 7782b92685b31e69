import Foundation
import Postgres
import Subprocess
import SystemPackage
import Testing
import TestSupport

/// The `relieflink` binary built beside this test bundle.
func relieflink(_ arguments: [String], environment: [String: String] = [:], in folder: String = "/") async throws
    -> (status: TerminationStatus, output: String, error: String)
{
    let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appending(path: "relieflink")
    var overrides: [Environment.Key: String?] = ["DATABASE_URL": nil]
    for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
    let result = try await Subprocess.run(
        .path(FilePath(binary.path)), arguments: Arguments(arguments),
        environment: .inherit.updating(overrides), workingDirectory: FilePath(folder),
        input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
    return (result.terminationStatus, result.standardOutput, result.standardError)
}

@Suite("relieflink migrate, as an operator runs it")
struct MigrateCommandTests {
    @Test("migrate applies the built-in migrations from any folder; a second run applies nothing")
    func migrateFromAnyFolder() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let environment = ["DATABASE_URL": database.connectionString, "LOG_LEVEL": "warning"]
        let first = try await relieflink(["migrate"], environment: environment, in: "/tmp")
        #expect(first.status == .exited(0), "\(first.error)")
        #expect(first.output.contains("applied 0001_extensions.sql"))
        let second = try await relieflink(["migrate"], environment: environment, in: "/")
        #expect(second.status == .exited(0))
        #expect(second.output.contains("Nothing to apply"))
        let status = try await relieflink(["migrate", "--status"], environment: environment)
        #expect(status.status == .exited(0))
        #expect(status.output.contains("0001_extensions.sql"))
        #expect(status.output.contains("0 pending"))
    }

    @Test("migrate --status on a new database lists every migration as pending and changes nothing")
    func statusOnNewDatabase() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let result = try await relieflink(["migrate", "--status", "--database-url", database.connectionString])
        #expect(result.status == .exited(0), "\(result.error)")
        #expect(result.output.contains("pending"))
        #expect(result.output.contains("0 applied"))
        let connection = try await PostgresConnection.connect(database)
        let extensions = try await connection.query("SELECT count(*) FROM pg_extension WHERE extname = 'ltree'").scalar(Int.self)
        let tables = try await connection.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").scalar(Int.self)
        await connection.close()
        #expect(extensions == 0)
        #expect(tables == 0, "not even the history table")
    }

    @Test("without DATABASE_URL, migrate fails with a message saying what to do")
    func missingDatabaseURL() async throws {
        let result = try await relieflink(["migrate"])
        #expect(result.status != .exited(0))
        #expect(result.error.contains("DATABASE_URL"))
        #expect(result.error.contains("relieflink demo"))
    }

    @Test("an unreachable database fails with host, port and database named and no password")
    func unreachableDatabase() async throws {
        let result = try await relieflink(["migrate"], environment: [
            "DATABASE_URL": "postgresql://operator:s3cret-pw@127.0.0.1:1/relief?connect_timeout=2",
        ])
        #expect(result.status != .exited(0))
        #expect(result.error.contains("127.0.0.1") && result.error.contains("port=1") && result.error.contains("relief"))
        #expect(!result.error.contains("s3cret-pw"))
        #expect(!result.output.contains("s3cret-pw"))
    }

    @Test("--help describes the commands")
    func help() async throws {
        let result = try await relieflink(["--help"])
        #expect(result.status == .exited(0))
        for command in ["serve", "jobs", "migrate", "demo", "bench"] {
            #expect(result.output.contains(command))
        }
    }
}

@Suite("relieflink admin create-user")
struct CreateUserCommandTests {
    @Test("bootstraps a county's first manager, who can then sign in; a second run with the same name is refused")
    func createUser() async throws {
        let database = try await TestDatabase.create()
        let arguments = ["admin", "create-user", "--county", "320281000000", "--county-name", "江阴市",
                         "--username", "wang", "--display-name", "王主任"]
        let environment = ["DATABASE_URL": database.connectionString, "RELIEFLINK_ADMIN_PASSWORD": "Relief-2026-pass", "LOG_LEVEL": "warning"]
        let first = try await relieflink(arguments, environment: environment)
        #expect(first.status == .exited(0), "\(first.error)")
        #expect(first.output.contains("created center manager wang"))
        #expect(!first.output.contains("Relief-2026-pass") && !first.error.contains("Relief-2026-pass"))
        let again = try await relieflink(arguments, environment: environment)
        #expect(again.status != .exited(0))
        #expect(again.error.contains("wang"))
        let weak = try await relieflink(arguments.map { $0 == "wang" ? "li" : $0 },
                                        environment: environment.merging(["RELIEFLINK_ADMIN_PASSWORD": "short"]) { $1 })
        #expect(weak.status != .exited(0))
        #expect(weak.error.contains("password"))
    }
}
