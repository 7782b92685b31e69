import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import ReliefAPI
import ReliefStore
import Testing
import TestSupport

@Suite("Sign-in over HTTP")
struct SignInEndpointTests {
    static let password = "救助-Password-2026"

    private func withCounty(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let pool = try await TestCounties.make(password: Self.password).pool
        let app = Application(router: try HTTPServer.router(pool: pool, cipher: .ephemeral(), logger: Logger(label: "test")))
        try await app.test(.router, body)
        await pool.close()
    }

    private func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    private func signIn(_ client: any TestClientProtocol, password: String = Self.password) async throws -> (HTTPResponse.Status, String?, String?) {
        try await client.execute(uri: "/api/v1/sessions", method: .post, headers: [.contentType: "application/json"],
                                 body: json(["county": "320281000000", "username": "manager", "password": password])) { response in
            let body = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            return (response.status, body?["token"] as? String, response.headers[.setCookie])
        }
    }

    @Test("signing in answers a token and an HTTP-only SameSite cookie; both identify the user")
    func signInAndMe() async throws {
        try await withCounty { client in
            let (status, issued, cookie) = try await signIn(client)
            #expect(status == .created)
            let token = try #require(issued)
            let setCookie = try #require(cookie)
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains(token), "\(setCookie)")
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("center_manager"))
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "other=1; relieflink_session=\(token)"]) { response in
                #expect(response.status == .ok)
            }
            // Signing out ends it.
            try await client.execute(uri: "/api/v1/sessions/current", method: .delete, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("a wrong password, no credentials and a bad token answer 401 problem+json")
    func unauthorized() async throws {
        try await withCounty { client in
            let (status, token, cookie) = try await signIn(client, password: "wrong-password-9")
            #expect(status == .unauthorized && token == nil && cookie == nil)
            for headers: HTTPFields in [[:], [.authorization: "Bearer rl_nonsense"], [.authorization: "Basic eDp5"]] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    let problem = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect(problem?["status"] as? Int == 401)
                    #expect((problem?["type"] as? String)?.isEmpty == false)
                }
            }
        }
    }

    @Test("malformed or mistyped bodies answer 400 problem+json")
    func badInput() async throws {
        try await withCounty { client in
            let bodies: [ByteBuffer] = [
                ByteBuffer(string: "{not json"), ByteBuffer(string: "[]"), ByteBuffer(string: ""),
                json(["county": 320281000000, "username": "manager", "password": "x"]),
                json(["county": "320281000000", "username": "manager"]),
                json(["county": "3202", "username": "manager", "password": "x"]),
            ]
            for body in bodies {
                try await client.execute(uri: "/api/v1/sessions", method: .post, headers: [.contentType: "application/json"], body: body) { response in
                    #expect(response.status == .badRequest, "\(String(buffer: body))")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                }
            }
        }
    }

    @Test("an oversize body answers 413 problem+json, declared or streamed")
    func oversize() async throws {
        try await withCounty { client in
            let huge = ByteBuffer(string: "{\"county\":\"320281000000\",\"username\":\"manager\",\"password\":\""
                + String(repeating: "x", count: HTTPServer.maximumJSONBody) + "\"}")
            try await client.execute(uri: "/api/v1/sessions", method: .post, headers: [.contentType: "application/json"], body: huge) { response in
                #expect(response.status.code == 413)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            }
            // The account is not locked by it: nothing was tried.
            #expect(try await signIn(client).0 == .created)
        }
    }

    @Test("repeated failures answer 423 with when to try again")
    func locked() async throws {
        try await withCounty { client in
            var statuses: [HTTPResponse.Status] = []
            for attempt in 1...6 { statuses.append(try await signIn(client, password: "wrong-\(attempt)").0) }
            #expect(statuses.prefix(4).allSatisfy { $0 == .unauthorized })
            #expect(statuses.suffix(2).allSatisfy { $0.code == 423 })
            #expect(try await signIn(client).0.code == 423)
        }
    }

    @Test("API tokens and password change")
    func tokensAndPassword() async throws {
        try await withCounty { client in
            let token = try #require(try await signIn(client).1)
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let apiToken = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: auth,
                                                    body: json(["name": "12345 bridge", "expiresInDays": 30])) { response in
                #expect(response.status == .created)
                return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["token"] as? String
            }
            let issued = try #require(apiToken)
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(issued)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me/password", method: .put, headers: auth,
                                     body: json(["currentPassword": Self.password, "newPassword": "short"])) { response in
                #expect(response.status == .badRequest)
            }
            // The same password again is no change: refused, and not counted as a wrong one.
            try await client.execute(uri: "/api/v1/me/password", method: .put, headers: auth,
                                     body: json(["currentPassword": Self.password, "newPassword": Self.password])) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/me/password", method: .put, headers: auth,
                                     body: json(["currentPassword": Self.password, "newPassword": "Another-pass-2027"])) { response in
                #expect(response.status == .noContent)
            }
            // The session used keeps working; the other token was revoked with the old password.
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(issued)"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
