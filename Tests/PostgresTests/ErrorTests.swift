import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Server errors")
struct ErrorTests {
    /// A table with a named unique constraint, as the relief schema has for id numbers.
    private func createApplicants(_ connection: PostgresConnection) async throws {
        try await connection.executeScript("""
            CREATE TABLE applicants (
                id serial PRIMARY KEY,
                id_number text NOT NULL,
                name text,
                CONSTRAINT applicants_id_number_key UNIQUE (id_number)
            )
            """)
    }

    @Test("a unique violation carries SQLSTATE, message, detail, table and constraint")
    func uniqueViolation() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createApplicants(connection)
            let idNumber = "11010519491231002X"
            try await connection.execute("INSERT INTO applicants (id_number, name) VALUES (\(idNumber), \("张三"))")
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.execute("INSERT INTO applicants (id_number, name) VALUES (\(idNumber), \("李四"))")
            }
            #expect(error.code == .uniqueViolation)
            #expect(error.code.errorClass == "23")
            #expect(error.severity == "ERROR")
            #expect(error.message == "duplicate key value violates unique constraint \"applicants_id_number_key\"")
            #expect(error.constraint == "applicants_id_number_key")
            #expect(error.table == "applicants")
            #expect(error.schema == "public")
            // The server quotes the key in `detail`: available to code, never printed.
            #expect(error.detail == "Key (id_number)=(\(idNumber)) already exists.")
            #expect(error.description.contains("23505"))
            #expect(error.description.contains("applicants_id_number_key"))
            #expect(!error.description.contains(idNumber))
            #expect(!String(describing: error as Error).contains(idNumber))

            // Matching by name, as callers do.
            do {
                try await connection.execute("INSERT INTO applicants (id_number) VALUES (\(idNumber))")
                Issue.record("the duplicate was accepted")
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                #expect(error.constraint == "applicants_id_number_key")
            }
            // The connection is fine afterwards.
            let count = try await connection.query("SELECT count(*) FROM applicants").scalar(Int.self)
            #expect(count == 1)
        }
    }

    @Test("a not-null violation names the column and table, and its description leaves the row out")
    func notNullViolation() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createApplicants(connection)
            let name = "王秘密"
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.execute("INSERT INTO applicants (id_number, name) VALUES (\(String?.none), \(name))")
            }
            #expect(error.code == .notNullViolation)
            #expect(error.column == "id_number")
            #expect(error.table == "applicants")
            #expect(error.detail?.contains(name) == true)  // "Failing row contains (…)"
            #expect(error.description.contains("id_number"))
            #expect(!error.description.contains(name))
        }
    }

    @Test("RAISE in a DO block carries its message, detail and hint; the hint is printed, the detail is not")
    func raiseWithHint() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.executeScript("""
                    DO $$
                    BEGIN
                        RAISE EXCEPTION 'the allowance exceeds the monthly cap'
                            USING DETAIL = 'requested 900 for applicant 4711',
                                  HINT = 'split the payment across two months';
                    END
                    $$
                    """)
            }
            #expect(error.code == .raiseException)
            #expect(error.message == "the allowance exceeds the monthly cap")
            #expect(error.detail == "requested 900 for applicant 4711")
            #expect(error.hint == "split the payment across two months")
            #expect(error.description.contains("P0001"))
            #expect(error.description.contains("split the payment across two months"))
            #expect(!error.description.contains("4711"))
        }
    }

    @Test("RAISE with an ERRCODE and object names reports them as the server's own errors do")
    func raiseWithObjects() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.executeScript("""
                    DO $$
                    BEGIN
                        RAISE EXCEPTION 'amount over the cap'
                            USING ERRCODE = 'check_violation', SCHEMA = 'public', TABLE = 'allowances',
                                  COLUMN = 'amount', CONSTRAINT = 'allowance_cap';
                    END
                    $$
                    """)
            }
            #expect(error.code == .checkViolation)
            #expect(error.schema == "public")
            #expect(error.table == "allowances")
            #expect(error.column == "amount")
            #expect(error.constraint == "allowance_cap")
            #expect(error.description.contains("allowances") && error.description.contains("allowance_cap"))
        }
    }

    @Test("bad SQL is a syntax error with its position; unknown tables and columns have their own codes")
    func badSQL() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let syntax = try await #require(throws: PostgresServerError.self) {
                try await connection.query("SELEC 1")
            }
            #expect(syntax.code == .syntaxError)
            #expect(syntax.position == 1)
            #expect(syntax.message.contains("SELEC"))

            let table = try await #require(throws: PostgresServerError.self) {
                try await connection.query("SELECT * FROM no_such_table WHERE id = \(1)")
            }
            #expect(table.code == .undefinedTable)
            #expect(table.code.errorClass == "42")

            let column = try await #require(throws: PostgresServerError.self) {
                try await connection.query("SELECT no_such_column FROM (SELECT 1 AS one) AS t")
            }
            #expect(column.code == .undefinedColumn)

            let function = try await #require(throws: PostgresServerError.self) {
                try await connection.query("SELECT no_such_function(\(1))")
            }
            #expect(function.code == .undefinedFunction)
            #expect(function.hint != nil)

            let one = try await connection.query("SELECT 1").scalar(Int32.self)
            #expect(one == 1)
        }
    }

    @Test("an invalid uuid passed as a parameter is a data error whose description withholds the value")
    func invalidUUIDWithheld() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.query("SELECT \("not-a-uuid")::uuid")
            }
            #expect(error.code == .invalidTextRepresentation)
            #expect(error.message.contains("not-a-uuid"))  // the server does quote it…
            #expect(!error.description.contains("not-a-uuid"))  // …and the description does not
            #expect(!error.safeMessage.contains("not-a-uuid"))
            #expect(error.description.contains("uuid"))
        }
    }

    @Test("no data error's description repeats the parameter it rejected", arguments: [
        ("SELECT $1::int4", "110105194912310021", SQLState.numericValueOutOfRange),  // value "…" is out of range
        ("SELECT $1::int8", "11010519491231002X", SQLState.invalidTextRepresentation),
        ("SELECT $1::date", "1949-02-30", SQLState.datetimeFieldOverflow),
        ("SELECT $1::numeric(4, 0)", "110105", SQLState.numericValueOutOfRange),
        ("SELECT $1::int4[]", "{1,2,110105x}", SQLState.invalidTextRepresentation),
        ("SELECT $1::jsonb", "{\"id_number\": 110105194912310021x}", SQLState.invalidTextRepresentation),
    ])
    func dataErrorsWithholdValues(sql: String, value: String, code: SQLState) async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.query(Self.bind(sql, value))
            }
            #expect(error.code == code)
            #expect(!error.description.contains(value), "description: \(error.description)")
            for digits in value.split(whereSeparator: { !$0.isNumber }) where digits.count >= 6 {
                #expect(!error.description.contains(digits), "description: \(error.description)")
            }
        }
    }

    /// `sql` with its one `$1` bound to `value` as text.
    private static func bind(_ sql: String, _ value: String) -> PostgresQuery {
        let parts = sql.components(separatedBy: "$1")
        return "\(PostgresQuery(unsafeSQL: parts[0]))\(value)\(PostgresQuery(unsafeSQL: parts[1]))"
    }
}
