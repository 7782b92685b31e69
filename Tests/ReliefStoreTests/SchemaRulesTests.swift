import Foundation
import Postgres
import Testing
import TestSupport

/// Rules every table of the schema keeps (DESIGN.md, "Tenancy and row-level security").
@Suite("Schema rules")
struct SchemaRulesTests {
    /// Tables that describe the schema or the queue rather than a county's data.
    static let notTenantTables: Set<String> = ["schema_migrations"]
    /// The public county directory: RLS is enabled for the application role, but not forced
    /// on the owner, whose `county_by_code()` finds a county for sign-in.
    static let notForced: Set<String> = ["counties"]

    /// The column names of constraint `con`'s key, in key order, for a query over pg_constraint.
    static let keyColumns = columnNames(key: "conkey", relation: "conrelid")
    /// The column names the foreign key `con` references, in key order.
    static let referencedColumns = columnNames(key: "confkey", relation: "confrelid")

    private static func columnNames(key: String, relation: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            (SELECT array_agg(a.attname::text ORDER BY k.ordinality)
               FROM unnest(con.\(key)) WITH ORDINALITY AS k(attnum, ordinality)
               JOIN pg_attribute a ON a.attrelid = con.\(relation) AND a.attnum = k.attnum)
            """)
    }

    @Test("every tenant table has county_id first in its primary key and in every foreign key")
    func countyInEveryKey() async throws {
        try await TestDatabase.withConnection { connection in
            let tables = try await connection.query("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
                """).column(String.self)
            #expect(tables.contains("cases"))
            for table in tables where !Self.notTenantTables.contains(table) {
                let keys = try await connection.query("""
                    SELECT con.conname, con.contype::text,
                           \(Self.keyColumns) AS columns,
                           \(Self.referencedColumns) AS referenced
                    FROM pg_constraint con
                    WHERE con.conrelid = \(table)::regclass AND con.contype IN ('p', 'f')
                    """).decode((String, String, [String], [String]?).self)
                #expect(keys.contains { $0.1 == "p" }, "\(table) has no primary key")
                for (name, kind, columns, referenced) in keys {
                    #expect(columns.first == "county_id", "\(table).\(name) does not start with county_id: \(columns)")
                    if kind == "f" {
                        #expect(referenced?.first == "county_id", "\(table).\(name) does not reference county_id")
                    }
                }
            }
        }
    }

    @Test("every tenant table enables and forces row-level security with a restrictive county policy")
    func rowLevelSecurityEverywhere() async throws {
        try await TestDatabase.withConnection { connection in
            let tables = try await connection.query("""
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive
                               AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app_county_id()%')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                """).decode((String, Bool, Bool, Bool).self)
            for (table, enabled, forced, restrictive) in tables where !Self.notTenantTables.contains(table) {
                #expect(enabled && (forced || Self.notForced.contains(table)), "\(table): row-level security enabled \(enabled), forced \(forced)")
                #expect(restrictive, "\(table) has no restrictive county policy")
            }
        }
    }

    @Test("the application role owns nothing and cannot bypass row-level security")
    func applicationRole() async throws {
        try await TestDatabase.withConnection { connection in
            let role = try #require(try await connection.query("""
                SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'relieflink_app'
                """).first)
            let (superuser, bypass, createRole, createDB) = try role.decode((Bool, Bool, Bool, Bool).self)
            #expect(!superuser && !bypass && !createRole && !createDB)
            let owned = try await connection.query("""
                SELECT count(*) FROM pg_class WHERE relowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('relieflink_app', \(TestDatabase.appLogin)))
                """).scalar(Int.self)
            #expect(owned == 0)
        }
    }

    @Test("every org path column is its org's path by a key that carries a change of the org's path")
    func everyOrgPathFollowsItsOrg() async throws {
        // Row-level security reads org_path to decide what township and village agents see:
        // a copy that could drift from its org would show a row to the wrong place.
        try await TestDatabase.withConnection { connection in
            let tables = try await connection.query("""
                SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'org_path' AND NOT a.attisdropped
                ORDER BY 1
                """).column(String.self)
            #expect(tables.contains("cases") && tables.contains("case_tasks"))
            for table in tables {
                let keys = try await connection.query("""
                    SELECT count(*) FROM pg_constraint con
                    WHERE con.conrelid = \(table)::regclass AND con.contype = 'f' AND con.confrelid = 'orgs'::regclass
                      AND con.confupdtype = 'c'
                      AND \(Self.keyColumns)
                          = ARRAY['county_id', 'org_id', 'org_path']
                      AND \(Self.referencedColumns)
                          = ARRAY['county_id', 'id', 'path']
                    """).scalar(Int.self)
                #expect(keys == 1, "\(table).org_path is not kept to its org's path by a cascading key")
            }
        }
    }

    @Test("a case's org path is its org's path: another is refused, and the org's path carries to its cases")
    func caseOrgPath() async throws {
        try await TestDatabase.withConnection { connection in
            let (county, township, village, other) = (UUID(), UUID(), UUID(), UUID())
            try await connection.execute("INSERT INTO counties (county_id, division_code, name) VALUES (\(county), '320281000000', '江阴市')")
            try await connection.execute("""
                INSERT INTO orgs (county_id, id, tier, division_code, name, parent_id, path) VALUES
                    (\(county), \(county), 'county', '320281000000', '江阴市', NULL, '320281000000'),
                    (\(county), \(township), 'township', '320281100000', '澄江街道', \(county), '320281000000.320281100000'),
                    (\(county), \(village), 'village', '320281100201', '东门社区', \(township), '320281000000.320281100000.320281100201'),
                    (\(county), \(other), 'township', '320281200000', '南闸街道', \(county), '320281000000.320281200000')
                """)
            let insert = { (path: String) in
                try await connection.execute("""
                    INSERT INTO cases (county_id, id, org_id, org_path, title) VALUES (\(county), \(UUID()), \(village), \(path)::ltree, '申请')
                    """)
            }
            #expect(try await insert("320281000000.320281100000.320281100201") == 1)
            for wrong in ["320281000000", "320281000000.320281200000", "320281000000.320281100000.320281100201.x"] {
                let error = await #expect(throws: PostgresServerError.self, "\(wrong)") { try await insert(wrong) }
                #expect(error?.code == .foreignKeyViolation, "\(wrong)")
            }
            try await connection.execute("UPDATE orgs SET path = '320281000000.320281100000.320281100299' WHERE id = \(village)")
            let paths = try await connection.query("SELECT DISTINCT org_path::text FROM cases").column(String.self)
            #expect(paths == ["320281000000.320281100000.320281100299"])
        }
    }
}
