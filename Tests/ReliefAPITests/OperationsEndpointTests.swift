import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import ReliefAPI
import Testing
import TestSupport

@Suite("Health, readiness and the contract")
struct OperationsEndpointTests {
    private func withServer(
        _ database: ConnectionConfiguration,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let pool = ConnectionPool(.init(connection: database, maximumConnections: 2, acquireTimeout: .seconds(3)))
        let app = Application(router: try HTTPServer.router(pool: pool, cipher: .ephemeral(), logger: Logger(label: "test")))
        try await app.test(.router, body)
        await pool.close()
    }

    private struct Readiness: Decodable {
        struct Check: Decodable {
            let name: String
            let ok: Bool
            let detail: String?
        }
        let status: String
        let checks: [Check]
    }

    @Test("GET /healthz answers 200 {status: ok}")
    func health() async throws {
        try await withServer(try await TestDatabase.create()) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"ok\""))
            }
        }
    }

    @Test("GET /readyz is 200 on a migrated database")
    func ready() async throws {
        try await withServer(try await TestDatabase.create()) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let readiness = try JSONDecoder().decode(Readiness.self, from: Data(buffer: response.body))
                #expect(readiness.status == "ready")
                #expect(readiness.checks.map(\.name) == ["database", "migrations"])
            }
        }
    }

    @Test("GET /readyz is 503 naming the migrations when the database was never migrated")
    func notMigrated() async throws {
        try await withServer(try await TestDatabase.create(migrated: false)) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let readiness = try JSONDecoder().decode(Readiness.self, from: Data(buffer: response.body))
                #expect(readiness.status == "unavailable")
                #expect(readiness.checks.first { $0.name == "migrations" }?.ok == false)
                #expect(readiness.checks.first { $0.name == "database" }?.ok == true)
            }
        }
    }

    @Test("GET /readyz is 503 when the database cannot be reached, telling anonymous callers neither password nor target",
          arguments: ["postgresql://someone:s3cret-pw@127.0.0.1:1/none", "pgsql://someone:s3cret-pw@127.0.0.1:1/none"])
    func unreachable(url: String) async throws {
        let nowhere = ConnectionConfiguration(url, connectTimeout: .seconds(1))
        try await withServer(nowhere) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                for secret in ["s3cret-pw", "someone", "127.0.0.1"] { #expect(!body.contains(secret), "\(body)") }
                let readiness = try JSONDecoder().decode(Readiness.self, from: Data(buffer: response.body))
                #expect(readiness.checks.first { $0.name == "database" }?.ok == false)
            }
        }
    }

    @Test("GET /openapi.yaml serves the contract the server was generated from")
    func contract() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Sources/ReliefAPI/openapi.yaml")
        let expected = try String(contentsOf: file, encoding: .utf8)
        try await withServer(try await TestDatabase.create()) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                #expect(String(buffer: response.body) == expected)
            }
        }
    }

    @Test("an unknown path is 404")
    func unknownPath() async throws {
        try await withServer(try await TestDatabase.create()) { client in
            try await client.execute(uri: "/no/such/thing", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
