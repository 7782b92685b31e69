import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Connection failures")
struct ConnectionFailureTests {
    private static let password = "s3cret-pw"

    /// Connects and returns the failure, checking it is `connectionFailed`, names the target
    /// and never holds the password.
    private func expectConnectionFailed(
        _ connectionString: String,
        naming expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> PostgresError {
        let configuration = ConnectionConfiguration(connectionString, connectTimeout: .seconds(2))
        let error = try await #require(throws: PostgresError.self, sourceLocation: sourceLocation) {
            let connection = try await PostgresConnection.connect(configuration)
            await connection.close()
        }
        #expect(error.kind == .connectionFailed, "\(error)", sourceLocation: sourceLocation)
        #expect(error.isConnectionError, sourceLocation: sourceLocation)
        for word in expected {
            #expect(error.description.contains(word), "\(word) is missing from: \(error)", sourceLocation: sourceLocation)
        }
        #expect(!error.description.contains(Self.password), "the password leaked: \(error)", sourceLocation: sourceLocation)
        #expect(!"\(error)".contains(Self.password), sourceLocation: sourceLocation)
        #expect(!configuration.description.contains(Self.password), sourceLocation: sourceLocation)
        return error
    }

    @Test("a missing socket directory fails naming host, port and database, never the password")
    func missingSocketDirectory() async throws {
        let error = try await expectConnectionFailed(
            "host=/nonexistent/relieflink-socket port=5433 dbname=relief_cases user=relief password=\(Self.password)",
            naming: ["/nonexistent/relieflink-socket", "5433", "relief_cases"])
        #expect(error.description.contains("relief"))
    }

    @Test("the same, given as a URL")
    func missingSocketDirectoryURL() async throws {
        _ = try await expectConnectionFailed(
            "postgresql://relief:\(Self.password)@/relief_cases?host=/nonexistent/relieflink-socket&port=5433",
            naming: ["/nonexistent/relieflink-socket", "5433", "relief_cases"])
    }

    @Test("a database that does not exist fails naming host, port and database, never the password")
    func wrongDatabase() async throws {
        let cluster = try await TestDatabase.localCluster
        let socket = cluster.socketDirectory.path
        let error = try await expectConnectionFailed(
            "postgresql://postgres:\(Self.password)@/no_such_database?host=\(socket)",
            naming: [socket, "\(cluster.port)", "no_such_database"])
        #expect(error.description.contains("does not exist"))
    }

    @Test("a malformed URL fails naming host, port and database, never the password", arguments: [
        // libpq refuses an unknown query parameter
        "postgresql://relief:s3cret-pw@db.relief.example:5433/relief_cases?sslmode=require&colour=blue",
        // a password with a bare '%', as people type them: libpq quotes the whole field back
        "postgresql://relief:s3cret-pw%@db.relief.example:5433/relief_cases",
        "postgresql://relief:s3cret-pw%zz@db.relief.example:5433/relief_cases",
    ])
    func malformedURL(url: String) async throws {
        _ = try await expectConnectionFailed(url, naming: ["db.relief.example", "5433", "relief_cases"])
    }

    @Test("a string libpq cannot read at all (another scheme, a typo) never comes back in the error", arguments: [
        "pgsql://owner:s3cret-pw@127.0.0.1:55432/rl1",
        "postgresql:/owner:s3cret-pw@127.0.0.1:55432/rl1",
        "postgresql//owner:s3cret-pw@127.0.0.1:55432/rl1",
        "mysql://owner:s3cret-pw@127.0.0.1:55432/rl1",
        "http://owner:s3cret-pw@127.0.0.1:55432/rl1",
    ])
    func unreadable(string: String) async throws {
        let error = try await expectConnectionFailed(string, naming: ["invalid connection string"])
        #expect(!error.description.contains("owner:"), "\(error)")
    }

    @Test("a password with unencoded @ / ? # is neither printed nor read as host, port or database")
    func unencodedPassword() async throws {
        let url = "postgresql://relief:s3cret-pw@a/b?c#d@db.relief.example:5433/relief_cases"
        _ = try await expectConnectionFailed(url, naming: ["db.relief.example", "5433", "relief_cases"])
        // A password of one letter is not cut out of every word that holds it.
        let short = ConnectionConfiguration("postgresql://owner:r@127.0.0.1:55432/rl1?foo", connectTimeout: .seconds(2))
        let reason = try #require(short.parseError())
        #expect(reason.contains("separator") && reason.contains("parameter"), "\(reason)")
    }

    @Test("an invalid port fails naming host, port and database, never the password")
    func invalidPort() async throws {
        _ = try await expectConnectionFailed(
            "postgresql://relief:\(Self.password)@/relief_cases?host=/nonexistent/socket&port=notaport",
            naming: ["/nonexistent/socket", "notaport", "relief_cases"])
    }

    @Test("a configuration prints host, port, database and user, never the password")
    func configurationDescription() {
        let url = ConnectionConfiguration("postgresql://relief:\(Self.password)@db.relief.example:5433/relief_cases")
        #expect(url.description == "host=db.relief.example port=5433 dbname=relief_cases user=relief")
        let conninfo = ConnectionConfiguration("host=/run/pg dbname=relief password=\(Self.password)")
        #expect(conninfo.description == "host=/run/pg port=5432 dbname=relief user=default")
    }

    @Test("a pool whose server cannot be reached throws connectionFailed and frees the room it took")
    func poolCannotConnect() async throws {
        let configuration = ConnectionConfiguration(
            "host=/nonexistent/relieflink-socket dbname=relief password=\(Self.password)", connectTimeout: .seconds(1))
        let pool = ConnectionPool(.init(connection: configuration, maximumConnections: 1, acquireTimeout: .seconds(1)))
        for _ in 0..<3 {
            let error = try await #require(throws: PostgresError.self) {
                try await pool.query("SELECT 1")
            }
            #expect(error.kind == .connectionFailed)
            #expect(!error.description.contains(Self.password))
        }
        #expect(pool.statistics.leased == 0)
        #expect(pool.statistics.idle == 0)
        await pool.close()
    }

    @Test("a connection whose server process was terminated reports connectionLost from then on")
    func terminatedBackend() async throws {
        try await withConnections(2) { _, connections in
            let (connection, admin) = (connections[0], connections[1])
            #expect(try await admin.terminateBackend(connection.backendPID))
            #expect(try await eventually { try await admin.isGone(connection.backendPID) })
            let first = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT 1")
            }
            #expect(first.kind == .connectionLost, "\(first)")
            #expect(connection.isBroken)
            let second = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT \(2)")
            }
            #expect(second.kind == .connectionLost, "\(second)")
            await connection.close()
            let closed = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT 3")
            }
            #expect(closed.kind == .connectionClosed)
        }
    }

    @Test("a query in flight when its server process is terminated fails with connectionLost")
    func terminatedInFlight() async throws {
        try await withConnections(2) { _, connections in
            let (connection, admin) = (connections[0], connections[1])
            let sleeper = Task { try await connection.query("SELECT pg_sleep(30)") }
            #expect(try await eventually { try await admin.isRunning(connection.backendPID, "pg_sleep") })
            #expect(try await admin.terminateBackend(connection.backendPID))
            let outcome = try await result(of: sleeper, within: .seconds(10))
            #expect(throws: PostgresError.self) { try outcome.get() }
            if case .failure(let error as PostgresError) = outcome {
                #expect(error.kind == .connectionLost, "\(error)")
            }
            #expect(connection.isBroken)
        }
    }
}
