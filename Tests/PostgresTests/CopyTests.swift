import Foundation
import Postgres
import Testing
import TestSupport

@Suite("COPY FROM STDIN")
struct CopyTests {
    private func createTable(_ connection: PostgresConnection) async throws {
        try await connection.executeScript("""
            CREATE TABLE "Intake Rows" (id int PRIMARY KEY, "Note" text, scan bytea, amount numeric, received date)
            """)
    }

    private func count(_ connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM \"Intake Rows\"").scalar(Int.self) ?? -1
    }

    @Test("rows load with NULLs, tabs, newlines, backslashes, Chinese text and bytea intact")
    func loadsEveryKindOfValue() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            let scan = Data([0, 1, 9, 10, 13, 92, 78, 255, 0x5c, 0x2e])
            let missingNote: String? = nil
            let rows: [(Int, String?, Data?, Decimal?, CalendarDate?)] = [
                (1, "plain", scan, Decimal(string: "1234.56"), CalendarDate(year: 2026, month: 11, day: 29)),
                (2, nil, nil, nil, nil),
                (3, "tab\there", Data(), Decimal(0), nil),
                (4, "line one\nline two\r\nline three", nil, nil, nil),
                (5, "back\\slash and \\N and \\. alone", nil, nil, nil),
                (6, "低保申请：张三，住址：北京市朝阳区 ✓", nil, nil, nil),
                (7, "", nil, nil, nil),
                (8, "\\.", nil, nil, nil),
            ]
            let loaded = try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note", "scan", "amount", "received"]) { writer in
                for row in rows {
                    try await writer.write([row.0, row.1, row.2, row.3, row.4])
                }
                // An Optional variable that is nil is NULL too, not an empty string.
                try await writer.write([9, missingNote, nil, nil, nil])
            }
            #expect(loaded == rows.count + 1)

            let result = try await connection.query("""
                SELECT id, "Note", scan, amount, received FROM "Intake Rows" ORDER BY id
                """)
            let back = try result.decode((Int, String?, Data?, Decimal?, CalendarDate?).self)
            #expect(back.count == rows.count + 1)
            for (expected, actual) in zip(rows, back) {
                #expect(actual.0 == expected.0)
                #expect(actual.1 == expected.1, "row \(expected.0)")
                #expect(actual.2 == expected.2, "row \(expected.0)")
                #expect(actual.3 == expected.3, "row \(expected.0)")
                #expect(actual.4 == expected.4, "row \(expected.0)")
            }
            let nullNote = try await connection.query("SELECT \"Note\" IS NULL FROM \"Intake Rows\" WHERE id = 9").scalar(Bool.self)
            #expect(nullNote == true)
        }
    }

    @Test("many rows stream in several chunks")
    func manyRows() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            let note = String(repeating: "救助记录 ", count: 8)
            let loaded = try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note"]) { writer in
                for id in 1...20_000 { try await writer.write([id, "\(note)\(id)"]) }
            }
            #expect(loaded == 20_000)
            let sum = try await connection.query("SELECT sum(id)::int8, count(DISTINCT \"Note\")::int8 FROM \"Intake Rows\"").first
            #expect(try sum?.decode(Int.self, at: 0) == 20_000 * 20_001 / 2)
            #expect(try sum?.decode(Int.self, at: 1) == 20_000)
        }
    }

    @Test("a body that throws aborts the COPY and loads nothing, even after chunks were sent")
    func throwingBodyLoadsNothing() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            await #expect(throws: Boom()) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note"]) { writer in
                    for id in 1...3 { try await writer.write([id, "row \(id)"]) }
                    throw Boom()
                }
            }
            #expect(try await count(connection) == 0)
            // Far more than one chunk sent before the failure.
            await #expect(throws: Boom()) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note"]) { writer in
                    for id in 1...30_000 { try await writer.write([id, String(repeating: "x", count: 40)]) }
                    throw Boom()
                }
            }
            #expect(try await count(connection) == 0)
            #expect(!connection.isInTransaction)
            // The connection works afterwards, COPY included.
            let loaded = try await connection.copyIn(table: "Intake Rows", columns: ["id"]) { writer in
                try await writer.write([1])
            }
            #expect(loaded == 1)
        }
    }

    @Test("a connection closed between a COPY's chunks fails the COPY at its next chunk with connectionClosed; libpq is not touched after it freed the connection")
    func closedBetweenChunks() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            var rowsWritten = 0
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note"]) { writer in
                    // 100-byte rows: a chunk goes out about every 2,500 rows.
                    for id in 1...50_000 {
                        try await writer.write([id, String(repeating: "x", count: 100)])
                        rowsWritten = id
                        if id == 6_000 { await connection.close() }
                    }
                }
            }
            #expect(error?.kind == .connectionClosed)
            #expect(rowsWritten < 10_000, "the COPY went on for \(rowsWritten) rows after its connection closed")
            #expect(connection.isBroken)
            let after = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
            #expect(after?.kind == .connectionClosed)
        }
    }

    @Test("a row with the wrong number of values is misuse, and nothing is loaded")
    func wrongValueCount() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            let error = try await #require(throws: PostgresError.self) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note"]) { writer in
                    try await writer.write([1, "fine"])
                    try await writer.write([2])
                }
            }
            #expect(error.kind == .misuse)
            #expect(try await count(connection) == 0)
            let one = try await connection.query("SELECT 1").scalar(Int32.self)
            #expect(one == 1)
        }
    }

    @Test("a text value holding NUL is refused as nulInText, and nothing is loaded")
    func nulRefused() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            let error = try await #require(throws: PostgresError.self) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id", "Note"]) { writer in
                    try await writer.write([1, "nul \u{0} inside"])
                }
            }
            #expect(error.kind == .nulInText)
            #expect(try await count(connection) == 0)
        }
    }

    @Test("a value the server refuses fails the COPY with its SQLSTATE, withholding the value, and loads nothing")
    func serverRefusesValue() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            let error = try await #require(throws: PostgresServerError.self) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id", "amount"]) { writer in
                    try await writer.write([1, "12.5"])
                    try await writer.write([2, "110105194912310021x"])
                }
            }
            #expect(error.code == .invalidTextRepresentation)
            #expect(!error.description.contains("110105194912310021"))
            #expect(try await count(connection) == 0)

            let duplicate = try await #require(throws: PostgresServerError.self) {
                try await connection.copyIn(table: "Intake Rows", columns: ["id"]) { writer in
                    try await writer.write([1])
                    try await writer.write([1])
                }
            }
            #expect(duplicate.code == .uniqueViolation)
            #expect(try await count(connection) == 0)
            let one = try await connection.query("SELECT 1").scalar(Int32.self)
            #expect(one == 1)
        }
    }

    @Test("COPY into a missing table or column fails with the server's error; the connection works afterwards")
    func missingTable() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            let table = try await #require(throws: PostgresServerError.self) {
                try await connection.copyIn(table: "no_such_table", columns: ["id"]) { writer in
                    try await writer.write([1])
                }
            }
            #expect(table.code == .undefinedTable)
            try await createTable(connection)
            let column = try await #require(throws: PostgresServerError.self) {
                try await connection.copyIn(table: "Intake Rows", columns: ["no_such_column"]) { _ in }
            }
            #expect(column.code == .undefinedColumn)
            let one = try await connection.query("SELECT 1").scalar(Int32.self)
            #expect(one == 1)
        }
    }

    @Test("COPY inside a transaction is undone with it")
    func copyInTransaction() async throws {
        try await withConnections(2) { _, connections in
            let (connection, observer) = (connections[0], connections[1])
            try await createTable(connection)
            await #expect(throws: Boom()) {
                try await connection.transaction { tx in
                    let loaded = try await tx.copyIn(table: "Intake Rows", columns: ["id"]) { writer in
                        for id in 1...10 { try await writer.write([id]) }
                    }
                    #expect(loaded == 10)
                    #expect(try await count(tx) == 10)
                    #expect(try await count(observer) == 0)
                    throw Boom()
                }
            }
            #expect(try await count(observer) == 0)
            _ = try await connection.transaction { tx in
                try await tx.copyIn(table: "Intake Rows", columns: ["id"]) { writer in
                    for id in 1...10 { try await writer.write([id]) }
                }
            }
            #expect(try await count(observer) == 10)
        }
    }

    @Test("COPY sent through query() is refused as misuse and the connection stays usable")
    func copyThroughQuery() async throws {
        try await TestDatabase.withConnection(migrated: false) { connection in
            try await createTable(connection)
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("COPY \"Intake Rows\" (id) FROM STDIN")
            }
            #expect(error.kind == .misuse)
            #expect(!connection.isInTransaction)
            #expect(try await count(connection) == 0)
        }
    }
}
