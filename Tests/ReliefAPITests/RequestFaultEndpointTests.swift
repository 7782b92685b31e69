import Foundation
import HTTPTypes
import Testing

/// What is wrong with a request is said where it is wrong, in Chinese, as problem+json: an
/// unknown path, a bad path or query parameter, a body of the wrong type.
@Suite("Request faults named")
struct RequestFaultEndpointTests {
    @Test("a path no operation serves: 404 problem+json naming it, signed in or not")
    func unknownRoutes() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            for (method, path, token) in [(HTTPRequest.Method.get, "/api/v1/nothing-here", Optional(manager)),
                                          (.delete, "/api/v1/orgs/\(UUID().uuidString)/nothing", manager),
                                          (.get, "/no/such/page", nil)] {
                let reply = try await api.send(method, path, token: token)
                #expect(reply.status == .notFound && reply.isProblem, "\(method) \(path): \(reply.status) \(reply.text)")
                #expect(reply.string("detail")?.contains(path) == true, "\(reply.text)")
                #expect(reply.headers[.allow] == nil)
            }
        }
    }

    @Test("a served path asked with another method: 405 problem+json with the methods it takes in Allow, and nothing changes")
    func wrongMethods() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            let orgsBefore = try await api.send(.get, "/api/v1/orgs", token: manager).text
            for (method, path, allowed) in [(HTTPRequest.Method.delete, "/api/v1/orgs", "GET, POST"),
                                            (.put, "/api/v1/orgs/\(UUID().uuidString)", "PATCH"),
                                            (.get, "/api/v1/sessions", "POST"),
                                            (.post, "/api/v1/me", "GET")] {
                let reply = try await api.send(method, path, token: manager)
                #expect(reply.status == .methodNotAllowed && reply.isProblem, "\(method) \(path): \(reply.status) \(reply.text)")
                #expect(reply.headers[.allow] == allowed, "\(method) \(path)")
                let detail = reply.string("detail") ?? ""
                #expect(detail.contains(path) && detail.contains(method.rawValue) && detail.contains(allowed), "\(detail)")
            }
            #expect(try await api.send(.get, "/api/v1/orgs", token: manager).text == orgsBefore)
        }
    }

    @Test("a bad query or path parameter is named as a parameter, not as the body; a wrong content type is said in Chinese")
    func parametersAndContentType() async throws {
        try await APITester.run { api in
            let manager = try await api.signIn()
            for path in ["/api/v1/cases?limit=abc", "/api/v1/cases?status=bogus", "/api/v1/calendar/abc"] {
                let reply = try await api.send(.get, path, token: manager)
                #expect(reply.status == .badRequest && reply.isProblem, "\(path): \(reply.status)")
                let detail = reply.string("detail") ?? ""
                #expect(detail.contains("路径或查询参数") && !detail.contains("（请求体）"), "\(path): \(detail)")
            }
            // An operation without a body, its path parameter an integer.
            let retried = try await api.send(.post, "/api/v1/jobs/abc/retry", token: manager)
            #expect(retried.status == .badRequest && retried.string("detail")?.contains("路径或查询参数") == true
                    && retried.string("detail")?.contains("请求体") == false, "\(retried.text)")
            let wrongType = try await api.send(.post, "/api/v1/departments", token: manager, raw: Data("name=x".utf8),
                                               headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(wrongType.status == .badRequest && wrongType.isProblem, "\(wrongType.status)")
            #expect(wrongType.string("detail")?.contains("Content-Type") == true && wrongType.string("detail")?.contains("application/json") == true,
                    "\(wrongType.text)")
            #expect(wrongType.string("detail")?.contains("Unexpected") == false)
        }
    }
}
