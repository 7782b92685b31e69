import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Queries and typed rows")
struct QueryTests {
    @Test("every interpolated value is a bound parameter, never SQL text")
    func valuesAreBound() async throws {
        let hostile = "x'); DROP TABLE victims; --"
        let query: PostgresQuery = "SELECT \(hostile)::text AS value, \(42) AS number"
        #expect(query.sql == "SELECT $1::text AS value, $2 AS number")
        #expect(query.parameters.count == 2)
        #expect(!query.description.contains("DROP"))
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.executeScript("CREATE TABLE victims (id int)")
            let row = try #require(try await connection.query(query).first)
            #expect(try row.decode(String.self, column: "value") == hostile)
            #expect(try row.decode(Int.self, column: "number") == 42)
            let count = try await connection.query("SELECT count(*) FROM victims").scalar(Int.self)
            #expect(count == 0)
        }
    }

    @Test("identifiers are quoted, fragments are renumbered")
    func identifiersAndFragments() async throws {
        let condition: PostgresQuery = "n > \(1)"
        let query: PostgresQuery = "SELECT \(identifier: "weird \"name\"") FROM t WHERE a = \(5) AND \(condition)"
        #expect(query.sql == "SELECT \"weird \"\"name\"\"\" FROM t WHERE a = $1 AND n > $2")
        let joined = PostgresQuery.joined(["a = \(1)", "b = \(2)", "c = \(3)"], separator: " AND ")
        #expect(joined.sql == "a = $1 AND b = $2 AND c = $3")
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await connection.executeScript("CREATE TABLE \"weird \"\"name\"\"\" (\"Mixed Case\" int)")
            try await connection.execute("INSERT INTO \(identifier: "weird \"name\"") (\(identifier: "Mixed Case")) VALUES (\(7))")
            let value = try await connection.query("SELECT \(identifier: "Mixed Case") FROM \(identifier: "weird \"name\"")").scalar(Int.self)
            #expect(value == 7)
        }
    }

    @Test("a fragment with Chinese text, a nested fragment and placeholders past $9 splice intact")
    func splicedFragmentsKeepTheirText() async throws {
        // Placeholders are found by their UTF-8 offsets: text of several bytes per character
        // before and after them must come through unchanged, and $1 must not be read as $10.
        let many = PostgresQuery.joined((1...10).map { "\($0)" }, separator: " + ")
        #expect(many.sql == "$1 + $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 + $10")
        let inner: PostgresQuery = "'救助' || \("中心")"
        let outer: PostgresQuery = "'申请人' || \("张三") || \(inner) || '乡镇'"
        let query: PostgresQuery = "SELECT \(many) AS total, \(outer) AS label, \(-1) AS last"
        #expect(query.sql == "SELECT $1 + $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 + $10 AS total, "
            + "'申请人' || $11 || '救助' || $12 || '乡镇' AS label, $13 AS last")
        #expect(query.parameters.count == 13)
        let twice: PostgresQuery = "SELECT \(outer), \(outer)"
        #expect(twice.sql == "SELECT '申请人' || $1 || '救助' || $2 || '乡镇', '申请人' || $3 || '救助' || $4 || '乡镇'")
        try await TestDatabase.withConnection(migrated: false) { connection in
            let row = try #require(try await connection.query(query).first)
            #expect(try row.decode(Int.self, column: "total") == 55)
            #expect(try row.decode(String.self, column: "label") == "申请人张三救助中心乡镇")
            #expect(try row.decode(Int.self, column: "last") == -1)
        }
    }

    @Test("an integer literal is written into the text, not bound, and the statement is planned once")
    func integerLiterals() async throws {
        let query: PostgresQuery = "SELECT g FROM generate_series(1, \(10)) g ORDER BY g LIMIT \(literal: 3) OFFSET \(literal: -0)"
        #expect(query.sql == "SELECT g FROM generate_series(1, $1) g ORDER BY g LIMIT 3 OFFSET 0")
        #expect(query.parameters.count == 1)
        try await TestDatabase.withConnection(migrated: false) { connection in
            let rows = try await connection.query(query).map { try $0.decode(Int.self, at: 0) }
            #expect(rows == [1, 2, 3])
            let negative: PostgresQuery = "SELECT \(literal: -42)"
            #expect(try await connection.query(negative).scalar(Int.self) == -42)
        }
    }

    @Test("integers at their edges reach the server as the same number (digits are written by hand)")
    func integerEdges() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            for value in [0, 7, -7, 10, -10, 1_000_000, Int.max, Int.min] {
                let text = try await connection.query("SELECT \(value)::text").scalar(String.self)
                #expect(text == String(value))
            }
            #expect(try await connection.query("SELECT \(Int16.min)::text").scalar(String.self) == "-32768")
            #expect(try await connection.query("SELECT \(Int32.max)::text").scalar(String.self) == "2147483647")
        }
    }

    @Test("parameters of every shape in one statement reach the server intact and in order (one buffer holds them all)")
    func parameterLayout() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let long = String(repeating: "救助", count: 3_000)
            let zeros = Data([0, 0, 7, 0])
            let row = try #require(try await connection.query("""
                SELECT \("") AS empty, \(Optional<String>.none)::text AS missing, \(zeros) AS bytes,
                       \(long) AS long, \(Optional<Data>.none)::bytea AS nobytes, \(-1) AS minus, \("末") AS last
                """).first)
            #expect(try row.decode(String.self, column: "empty") == "")
            #expect(try row.decode(String?.self, column: "missing") == nil)
            #expect(try row.decode(Data.self, column: "bytes") == zeros)
            #expect(try row.decode(String.self, column: "long") == long)
            #expect(try row.decode(Data?.self, column: "nobytes") == nil)
            #expect(try row.decode(Int.self, column: "minus") == -1)
            #expect(try row.decode(String.self, column: "last") == "末")
        }
    }

    @Test("scalars round-trip through the server")
    func scalarsRoundTrip() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let id = UUID()
            let when = Date(timeIntervalSince1970: 1_764_400_000.123456)
            let day = try #require(CalendarDate(year: 2024, month: 2, day: 29))
            let bytes = Data([0, 1, 2, 254, 255, 92, 39])
            let amount = Decimal(string: "12345.67")!
            let row = try #require(try await connection.query("""
                SELECT \(true) AS flag, \(Int16(-7)) AS small, \(Int32(2_000_000_000)) AS medium,
                       \(Int64.max) AS large, \(3.25) AS ratio, \("低保 ✓") AS name, \(id) AS id,
                       \(when) AS at, \(day) AS day, \(bytes) AS bytes, \(amount) AS amount,
                       \(Optional<Int>.none)::int8 AS missing
                """).first)
            #expect(try row.decode(Bool.self, column: "flag") == true)
            #expect(try row.decode(Int16.self, column: "small") == -7)
            #expect(try row.decode(Int32.self, column: "medium") == 2_000_000_000)
            #expect(try row.decode(Int64.self, column: "large") == Int64.max)
            #expect(try row.decode(Double.self, column: "ratio") == 3.25)
            #expect(try row.decode(String.self, column: "name") == "低保 ✓")
            #expect(try row.decode(UUID.self, column: "id") == id)
            let decodedWhen = try row.decode(Date.self, column: "at")
            #expect(abs(decodedWhen.timeIntervalSince(when)) < 0.000_002)
            #expect(try row.decode(CalendarDate.self, column: "day") == day)
            #expect(try row.decode(Data.self, column: "bytes") == bytes)
            #expect(try row.decode(Decimal.self, column: "amount") == amount)
            #expect(try row.decode(Int?.self, column: "missing") == nil)
            // by position too
            let (flag, small) = try row.decode((Bool, Int16).self)
            #expect(flag && small == -7)
        }
    }

    @Test("special values: infinities, NaN, BC and far dates, empty strings")
    func specialValues() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let row = try #require(try await connection.query("""
                SELECT 'infinity'::timestamptz AS future, '-infinity'::timestamptz AS past,
                       \(Double.infinity) AS inf, \(Double.nan) AS nan, \("") AS empty,
                       '0044-03-15 12:00:00+00 BC'::timestamptz AS ides,
                       '2026-11-29 17:30:00+08'::timestamptz AS shanghai
                """).first)
            #expect(try row.decode(Date.self, column: "future") == .distantFuture)
            #expect(try row.decode(Date.self, column: "past") == .distantPast)
            #expect(try row.decode(Double.self, column: "inf") == .infinity)
            #expect(try row.decode(Double.self, column: "nan").isNaN)
            #expect(try row.decode(String.self, column: "empty") == "")
            let ides = try row.decode(Date.self, column: "ides")
            let back = try #require(try await connection.query("SELECT \(ides)::text").scalar(String.self))
            #expect(back == "0044-03-15 12:00:00+00 BC")
            let shanghai = try row.decode(Date.self, column: "shanghai")
            #expect(shanghai == Date(timeIntervalSince1970: 1_795_944_600))  // 2026-11-29 09:30 UTC
        }
    }

    @Test("arrays of scalars, with NULL elements and quoting")
    func arrays() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let words = ["plain", "with space", "quote\"d", "back\\slash", "{brace}", "NULL", "", "逗号,"]
            let row = try #require(try await connection.query("""
                SELECT \(words) AS words, \([1, 2, 3]) AS numbers, \([Int?.some(1), nil, 3]) AS holes,
                       \([UUID]()) AS none, ARRAY[DATE '2026-01-01', NULL] AS days
                """).first)
            #expect(try row.decode([String].self, column: "words") == words)
            #expect(try row.decode([Int].self, column: "numbers") == [1, 2, 3])
            #expect(try row.decode([Int?].self, column: "holes") == [1, nil, 3])
            #expect(try row.decode([UUID].self, column: "none") == [])
            #expect(try row.decode([CalendarDate?].self, column: "days") == [CalendarDate(year: 2026, month: 1, day: 1), nil])
            #expect(throws: PostgresDecodingError.self) { try row.decode([Int].self, column: "holes") }
            let matched = try await connection.query("SELECT 2 = ANY(\([1, 2, 3]))").scalar(Bool.self)
            #expect(matched == true)
        }
    }

    @Test("JSON and jsonb decode into Codable types")
    func json() async throws {
        struct Plan: Codable, Equatable, Sendable {
            var departments: [String]
            var lead: String
            var amount: Int?
        }
        try await TestDatabase.withConnection(migrated: false) { connection in
            let plan = Plan(departments: ["民政局", "医保局"], lead: "民政局", amount: 500)
            let row = try #require(try await connection.query("""
                SELECT \(json: plan) AS plan, \(json: plan)::json AS plain, \(PostgresJSON(plan)) AS wrapped
                """).first)
            #expect(try row.decode(json: Plan.self, column: "plan") == plan)
            #expect(try row.decode(json: Plan.self, column: "plain") == plan)
            #expect(try row.decode(PostgresJSON<Plan>.self, column: "wrapped").value == plan)
            #expect(throws: PostgresDecodingError.self) { try row.decode(json: [Int].self, column: "plan") }
        }
    }

    @Test("a mismatch names the column, the server type and the Swift type")
    func mismatch() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let row = try #require(try await connection.query("SELECT 'x'::text AS label, NULL::int4 AS nothing, 300000::int4 AS big").first)
            let error = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, column: "label") }
            #expect(error.column == "label")
            #expect(error.serverType == .text)
            #expect(error.swiftType == "Int")
            #expect(error.description.contains("label") && error.description.contains("text") && error.description.contains("Int"))
            let null = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, column: "nothing") }
            #expect(null.reason.contains("NULL"))
            #expect(throws: PostgresDecodingError.self) { try row.decode(Int16.self, column: "big") }
            let missing = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, column: "absent") }
            #expect(missing.description.contains("label"))
            #expect(throws: PostgresDecodingError.self) { try row.decode(Int.self, at: 7) }
        }
    }

    @Test("a text value holding NUL is refused before it reaches the server")
    func nulRefused() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            await #expect(throws: PostgresError.self) { try await connection.query("SELECT \("a\u{0}b")") }
            // and the connection is still fine
            let one = try await connection.query("SELECT 1").scalar(Int32.self)
            #expect(one == 1)
        }
    }
}
