import Foundation
import HTTPTypes
import Postgres
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The client's address is the TCP peer's: citizens are limited one address at a time
/// (DB32/T 4012-2021 §6.2.1, online service open to all), and the audit log names where a
/// sign-in came from.
@Suite("client addresses")
struct ClientAddressTests {
    @Test("the public rate limit keeps a bucket per client address; sign-ins are audited with their address")
    func perClientAddress() async throws {
        try await APITester.run(publicRequestsPerMinute: 3, live: true) { api in
            let port = try #require(api.client.port)
            let page = "/api/v1/public/counties/\(APITester.jiangyin)"
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 { statuses.append(try await api.send(.get, page).status) }
            #expect(statuses.last == .tooManyRequests, "\(statuses)")
            // Another address is a citizen of its own, with its own allowance.
            // Blocking socket calls, so on a thread of their own: a task would hold up the executor
            // the server under test runs on.
            #expect(try await onThreadOfItsOwn { try Self.rawGET(page, port: port, from: "127.0.0.2") } == 200)
            // A forwarded-for header written by the client moves nobody to another bucket.
            #expect(try await api.send(.get, page, headers: [HTTPField.Name("X-Forwarded-For")!: "10.1.2.3"]).status == .tooManyRequests)

            _ = try await api.signIn()
            let audited = try await api.ownerCount(
                "SELECT count(*) FROM audit_log WHERE action = 'sign_in' AND client_address = '127.0.0.1'")
            #expect(audited == 1)
        }
    }

    @Test("issue 3 §6: configuration changes and case actions are audited with who and from where, in the hash-chained log")
    func writesCarryTheirAddress() async throws {
        try await APITester.run(live: true) { api in
            let unaddressedQuery: PostgresQuery = "SELECT count(*) FROM audit_log WHERE actor_user_id IS NOT NULL AND client_address IS NULL"
            let unaddressedBefore = try await api.ownerCount(unaddressedQuery)  // the counties' own setup, made without a request
            let desk = try await CaseDesk.make(api)
            let id = try await desk.register(1).id
            expectOK(try await desk.reject(id), "reject")
            let rejected = try await api.ownerCount("""
                SELECT count(*) FROM audit_log WHERE action = 'case_reject' AND object_id = \(id)
                  AND client_address = '127.0.0.1' AND actor_user_id IS NOT NULL AND detail->>'to_status' = 'rejected'
                """)
            #expect(rejected == 1)
            #expect(try await api.ownerCount(unaddressedQuery) == unaddressedBefore, "every entry of a signed-in request says where it came from")
        }
    }

    @Test("issue 3 §4, §6: sign-ins with an unknown username, tries while locked and wrong current passwords are audited; wrong current passwords lock the account as failed sign-ins do")
    func failuresAudited() async throws {
        try await APITester.run(live: true) { api in
            let signInReply = try await api.send(.post, "/api/v1/sessions", json: [
                "county": APITester.jiangyin, "username": "nobody.here", "password": "Wrong-pass-2026"])
            #expect(signInReply.status == .unauthorized)
            #expect(try await api.ownerCount("""
                SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed' AND detail->>'username' = 'nobody.here'
                  AND client_address = '127.0.0.1'
                """) == 1)

            let manager = try await api.signIn()
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<6 {
                statuses.append(try await api.send(.put, "/api/v1/me/password", token: manager, json: [
                    "currentPassword": "not-the-password", "newPassword": "Another-pass-2026"]).status)
            }
            #expect(statuses.prefix(4).allSatisfy { $0 == .badRequest } && statuses[4].code == 423 && statuses[5].code == 423, "\(statuses)")
            #expect(try await api.ownerCount("SELECT count(*) FROM audit_log WHERE action = 'password_change_failed'") == 4)
            #expect(try await api.ownerCount("SELECT count(*) FROM audit_log WHERE action = 'account_locked'") == 1)
            #expect(try await api.ownerCount("SELECT count(*) FROM audit_log WHERE action = 'password_change_refused_locked'") == 1)
            // Locked: the right password is not taken either, and signing in is refused and audited.
            let right = try await api.send(.put, "/api/v1/me/password", token: manager, json: [
                "currentPassword": APITester.password, "newPassword": "Another-pass-2026"])
            #expect(right.status.code == 423)
            let locked = try await api.send(.post, "/api/v1/sessions", json: [
                "county": APITester.jiangyin, "username": "manager", "password": APITester.password])
            #expect(locked.status.code == 423)
            #expect(try await api.ownerCount("SELECT count(*) FROM audit_log WHERE action = 'sign_in_refused_locked'") == 1)
        }
    }

    @Test("issue 3 §4: twenty wrong passwords sent at once still lock the account after five, for sign-in and for a password change")
    func parallelTriesLock() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            _ = try await api.createUser(county.manager, username: "race.one", orgID: county.villageA, roles: ["village_agent"])
            let signIns = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 0..<20 {
                    group.addTask {
                        Int(try await api.send(.post, "/api/v1/sessions", json: [
                            "county": APITester.jiangyin, "username": "race.one", "password": "wrong-\(attempt)"]).status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(signIns.filter { $0 == 401 }.count <= 4 && signIns.filter { $0 == 423 }.count >= 16, "\(signIns.sorted())")
            let right = try await api.send(.post, "/api/v1/sessions", json: [
                "county": APITester.jiangyin, "username": "race.one", "password": "Staff-pass-2026"])
            #expect(right.status.code == 423, "locked, whatever the password")

            let other = try await api.createUser(county.manager, username: "race.two", orgID: county.villageB, roles: ["village_agent"])
            let changes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        Int(try await api.send(.put, "/api/v1/me/password", token: other.token, json: [
                            "currentPassword": "not-the-password", "newPassword": "Another-pass-2026"]).status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(changes.filter { $0 == 400 }.count <= 4 && changes.filter { $0 == 423 }.count >= 16, "\(changes.sorted())")
        }
    }

    /// Sends `GET path` over a socket bound to `source`, and answers the status code.
    private struct SocketCallFailed: Error, CustomStringConvertible {
        let call: String
        let code = errno
        var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    private static func rawGET(_ path: String, port: Int, from source: String) throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketCallFailed(call: "socket") }
        defer { close(descriptor) }
        func address(_ host: String, _ port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            return address
        }
        func call(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32, _ target: sockaddr_in) -> Int32 {
            withUnsafePointer(to: target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard call({ bind(descriptor, $0, $1) }, address(source, 0)) == 0 else { throw SocketCallFailed(call: "bind to \(source)") }
        guard call({ connect(descriptor, $0, $1) }, address("127.0.0.1", UInt16(port))) == 0 else { throw SocketCallFailed(call: "connect") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, 0) == request.count else { throw SocketCallFailed(call: "send") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response += buffer[..<count]
        }
        // "HTTP/1.1 200 OK"
        let statusLine = String(decoding: response.prefix { $0 != 13 }, as: UTF8.self)
        guard let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { throw SocketCallFailed(call: "answer \(statusLine)") }
        return status
    }
}
