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

/// A JSON request body; values are Sendable (strings, numbers, booleans, arrays and objects of them).
typealias JSONBody = [String: any Sendable]

/// One HTTP answer: status, headers and the body's bytes, read as JSON on demand.
struct APIReply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: Data

    var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    func string(_ key: String) -> String? { object[key] as? String }

    /// RFC 9457 problem+json whose `status` is the response's.
    var isProblem: Bool {
        headers[.contentType]?.hasPrefix("application/problem+json") == true
            && object["status"] as? Int == Int(status.code) && (object["type"] as? String)?.isEmpty == false
    }
}

/// A router with real PostgreSQL behind it, counties bootstrapped by `TestCounties`, and the
/// calls the intake tests make again and again.
struct APITester: Sendable {
    static let password = "受理-Password-2026"
    static let jiangyin = "320281000000"
    static let yixing = "320282000000"

    let client: any TestClientProtocol
    let counties: TestCounties

    /// Runs `body` against a fresh database with the given counties, each with manager `manager`;
    /// through the router alone, or with `live` over a real socket on 127.0.0.1 (`client.port`),
    /// where requests have a client address.
    static func run(
        counties list: [(code: String, name: String)] = [(jiangyin, "江阴市")],
        publicRequestsPerMinute: Int = 0,
        maximumConnections: Int = 4,
        live: Bool = false,
        _ body: @Sendable (APITester) async throws -> Void
    ) async throws {
        let counties = try await TestCounties.make(list, password: password, maximumConnections: maximumConnections)
        let router = try HTTPServer.router(pool: counties.pool, cipher: .ephemeral(), logger: Logger(label: "test"),
                                           publicRequestsPerMinute: publicRequestsPerMinute)
        do {
            let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await application.test(live ? .live : .router) { client in
                try await body(APITester(client: client, counties: counties))
            }
        } catch {
            await counties.pool.close()
            throw error
        }
        await counties.pool.close()
    }

    // MARK: HTTP

    /// Sends a request; `json` is serialized as the body, `raw` is sent as it is.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json object: JSONBody? = nil,
              raw: Data? = nil, headers extra: HTTPFields = [:]) async throws -> APIReply {
        var headers: HTTPFields = [:]
        if object != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        for field in extra { headers[field.name] = field.value }
        var body: ByteBuffer?
        if let object { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)) }
        if let raw { body = ByteBuffer(bytes: raw) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            APIReply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
        }
    }

    func signIn(county: String = jiangyin, username: String = TestCounties.managerUsername,
                password: String = password) async throws -> String {
        let reply = try await send(.post, "/api/v1/sessions", json: ["county": county, "username": username, "password": password])
        #expect(reply.status == .created, "sign-in of \(username): \(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.string("token"))
    }

    // MARK: The county's configuration

    func countyOrgID(_ token: String) async throws -> String {
        let orgs = try await send(.get, "/api/v1/orgs", token: token).array
        return try #require(orgs.first { $0["tier"] as? String == "county" }?["id"] as? String)
    }

    func createOrg(_ token: String, tier: String, divisionCode: String, name: String, parentID: String) async throws -> String {
        let reply = try await send(.post, "/api/v1/orgs", token: token,
                                   json: ["tier": tier, "divisionCode": divisionCode, "name": name, "parentId": parentID])
        #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.string("id"))
    }

    /// Creates a staff account and signs it in; answers its token and id.
    func createUser(_ token: String, username: String, orgID: String, roles: [String], departmentID: String? = nil,
                    county: String = jiangyin) async throws -> (token: String, id: String) {
        var user: JSONBody = ["username": username, "displayName": "经办\(username)", "password": "Staff-pass-2026",
                                   "orgId": orgID, "roles": roles]
        if let departmentID { user["departmentId"] = departmentID }
        let reply = try await send(.post, "/api/v1/users", token: token, json: user)
        #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
        let id = try #require(reply.string("id"))
        return (try await signIn(county: county, username: username, password: "Staff-pass-2026"), id)
    }

    func departments(_ token: String) async throws -> [[String: Any]] {
        try await send(.get, "/api/v1/departments", token: token).array
    }

    /// A department that may implement items (kind `department`), by name.
    func departmentID(_ token: String, named name: String = "民政局") async throws -> String {
        try #require(try await departments(token).first { $0["name"] as? String == name }?["id"] as? String)
    }

    func items(_ token: String, includeRetired: Bool = false) async throws -> [[String: Any]] {
        try await send(.get, "/api/v1/catalog/items" + (includeRetired ? "?includeRetired=true" : ""), token: token).array
    }

    func itemID(_ token: String, code: String) async throws -> String {
        try #require(try await items(token, includeRetired: true).first { $0["code"] as? String == code }?["id"] as? String)
    }

    func createWindow(_ token: String, orgID: String, name: String, functionArea: String = "综合受理区",
                      itemIDs: [String]) async throws -> String {
        let reply = try await send(.post, "/api/v1/windows", token: token,
                                   json: ["orgId": orgID, "name": name, "functionArea": functionArea, "itemIds": itemIDs])
        #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.string("id"))
    }

    // MARK: Cases

    static func applicant(_ idNumber: String = ResidentIDs.number(1), name: String = "张三",
                          phone: String = "13800001234") -> JSONBody {
        ["name": name, "idNumber": idNumber, "phone": phone, "address": "江阴市澄江街道人民路1号"]
    }

    func register(_ token: String, windowID: String, itemID: String, orgID: String,
                  applicant: JSONBody = applicant(), greenChannelReason: String? = nil) async throws -> APIReply {
        var body: JSONBody = ["windowId": windowID, "itemId": itemID, "orgId": orgID, "applicant": applicant,
                                   "description": "家庭成员重病，收入不足以维持基本生活。"]
        if let greenChannelReason { body["greenChannelReason"] = greenChannelReason }
        return try await send(.post, "/api/v1/cases", token: token, json: body)
    }

    /// Registers and answers the receipt, expecting 201.
    func registerCreated(_ token: String, windowID: String, itemID: String, orgID: String,
                         applicant: JSONBody = applicant()) async throws -> [String: Any] {
        let reply = try await register(token, windowID: windowID, itemID: itemID, orgID: orgID, applicant: applicant)
        #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
        return reply.object
    }

    // MARK: The database as its owner (row-level security does not apply: checks only)

    func ownerCount(_ query: PostgresQuery) async throws -> Int {
        let connection = try await PostgresConnection.connect(counties.owner)
        do {
            let count = try await connection.query(query).scalar(Int64.self)
            await connection.close()
            return Int(count ?? 0)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Filed cases (with a case number) in every county.
    func caseCount() async throws -> Int {
        try await ownerCount("SELECT count(*) FROM cases WHERE case_number IS NOT NULL")
    }

    func auditCount(_ action: String, objectID: String? = nil) async throws -> Int {
        try await ownerCount("""
            SELECT count(*) FROM audit_log WHERE action = \(action) AND (\(objectID)::text IS NULL OR object_id = \(objectID))
            """)
    }

    /// SHA-256 of `data` in hex, computed by PostgreSQL (independent of the server's code).
    func sha256Hex(_ data: Data) async throws -> String {
        let connection = try await PostgresConnection.connect(counties.owner)
        let hex = try await connection.query("SELECT encode(sha256(\(data)), 'hex')").scalar(String.self)
        await connection.close()
        return try #require(hex)
    }
}

/// A county set up for intake: a township with two villages, windows at the county center
/// and at each village serving every item.
struct IntakeCounty: Sendable {
    let manager: String
    let countyOrgID: String
    let townshipID: String
    let villageA: String
    let villageB: String
    let countyWindow: String
    let villageAWindow: String
    let villageBWindow: String
    /// Item ids by code (the default catalog).
    let itemIDs: [String: String]

    var dibao: String { itemIDs["dibao"]! }

    static let townshipCode = "320281100000"
    static let villageACode = "320281100201"
    static let villageBCode = "320281100202"

    static func make(_ api: APITester) async throws -> IntakeCounty {
        let manager = try await api.signIn()
        let county = try await api.countyOrgID(manager)
        let township = try await api.createOrg(manager, tier: "township", divisionCode: townshipCode, name: "澄江街道", parentID: county)
        let villageA = try await api.createOrg(manager, tier: "village", divisionCode: villageACode, name: "东门社区", parentID: township)
        let villageB = try await api.createOrg(manager, tier: "village", divisionCode: villageBCode, name: "西门社区", parentID: township)
        let items = try await api.items(manager)
        var ids: [String: String] = [:]
        for item in items { ids[item["code"] as! String] = (item["id"] as! String) }
        let all = Array(ids.values)
        return IntakeCounty(
            manager: manager, countyOrgID: county, townshipID: township, villageA: villageA, villageB: villageB,
            countyWindow: try await api.createWindow(manager, orgID: county, name: "1号综合窗口", itemIDs: all),
            villageAWindow: try await api.createWindow(manager, orgID: villageA, name: "东门社区窗口", itemIDs: all),
            villageBWindow: try await api.createWindow(manager, orgID: villageB, name: "西门社区窗口", itemIDs: all),
            itemIDs: ids)
    }
}

/// Resident id numbers that pass the GB 11643 check.
enum ResidentIDs {
    /// The 17 digits followed by their check character.
    static func complete(_ first17: String) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let checks = Array("10X98765432")
        let sum = zip(first17.compactMap(\.wholeNumberValue), weights).reduce(0) { $0 + $1.0 * $1.1 }
        return first17 + String(checks[sum % 11])
    }

    /// A valid number for a person born 1980-01-01 in 320281, told apart by `sequence` (1–999).
    static func number(_ sequence: Int) -> String {
        complete("32028119800101" + String(format: "%03d", sequence))
    }

    /// The same number with a wrong check character.
    static func badCheck(_ sequence: Int) -> String {
        let valid = number(sequence)
        let wrong: Character = valid.last == "1" ? "2" : "1"
        return String(valid.dropLast()) + String(wrong)
    }
}

/// Dates as the API writes them (RFC 3339, with or without fractional seconds).
func apiDate(_ text: Any?) -> Date? {
    guard let text = text as? String else { return nil }
    let plain = ISO8601DateFormatter()
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return plain.date(from: text) ?? fractional.date(from: text)
}

/// Percent-encodes a query value.
func queryValue(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
}
