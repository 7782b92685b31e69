import Foundation
import Postgres

extension TenantTransaction {
    /// Appends to the county's audit log, in this transaction: the entry exists exactly when
    /// the change it records commits. Who, and from where, are taken from the context.
    public func audit(
        _ action: String, objectType: String, objectID: String? = nil,
        detail: [String: String] = [:], clientAddress: String? = nil, actor: UUID? = nil
    ) async throws {
        try await execute("""
            INSERT INTO audit_log (county_id, actor_user_id, action, object_type, object_id, client_address, detail)
            VALUES (current_setting('app.county_id')::uuid, \(actor ?? context?.userID), \(action), \(objectType),
                    \(objectID), \(clientAddress ?? context?.clientAddress), \(json: detail))
            """)
    }
}

/// Checks every county's audit chain, as `relieflink audit verify` does.
public struct AuditVerifier: Sendable {
    public enum Outcome: Equatable, Sendable, CustomStringConvertible {
        case intact(entries: Int, counties: Int)
        case broken(countyID: UUID, seq: Int64, reason: String)

        public var description: String {
            switch self {
            case .intact(let entries, let counties):
                "audit log intact: \(entries) entries in \(counties) count\(counties == 1 ? "y" : "ies")"
            case .broken(let county, let seq, let reason):
                "audit log broken in county \(county.uuidString.lowercased()) at entry \(seq): \(reason)"
            }
        }
    }

    public init() {}

    /// Runs on an owner connection (row-level security forced on the owner too, so it reads
    /// county by county through the context, like everyone else).
    public func verify(on connection: PostgresConnection) async throws -> Outcome {
        // Anyone else reads nothing, or only what policies let them, and would be told the log
        // is intact after checking none of it.
        let (user, owner) = try await connection.query("""
            SELECT current_user::text, pg_get_userbyid(c.relowner)::text FROM pg_class c WHERE c.oid = 'audit_log'::regclass
            """).decode((String, String).self).first ?? ("?", "?")
        guard user == owner else { throw AuditVerifierError.notOwner(user: user, owner: owner) }
        let counties = try await connection.query("SELECT county_id FROM counties ORDER BY county_id").column(UUID.self)
        var entries = 0
        for county in counties {
            let outcome: Outcome? = try await connection.transaction(readOnly: true) { connection in
                try await connection.execute("""
                    SELECT set_config('app.county_id', \(county.uuidString), true), set_config('app.roles', 'auditor', true)
                    """)
                // Every row of the county, checked against the one before it; the first failure is reported.
                let rows = try await connection.query("""
                    SELECT seq,
                           seq = coalesce(lag(seq) OVER w, 0) + 1,
                           prev_hash = coalesce(lag(hash) OVER w, '\\x'::bytea),
                           hash = sha256(prev_hash || audit_payload(a))
                    FROM audit_log a WHERE county_id = \(county) WINDOW w AS (ORDER BY seq) ORDER BY seq
                    """).decode((Int64, Bool, Bool, Bool).self)
                for (seq, contiguous, linked, matches) in rows {
                    if !contiguous { return .broken(countyID: county, seq: seq, reason: "an entry before it is missing") }
                    if !linked { return .broken(countyID: county, seq: seq, reason: "it does not follow the entry before it") }
                    if !matches { return .broken(countyID: county, seq: seq, reason: "its content does not match its hash") }
                }
                let head = try await connection.query("SELECT seq FROM audit_heads WHERE county_id = \(county)").scalar(Int64.self)
                let last = rows.last?.0 ?? 0
                // A county's bootstrap is its first entry: a county without any had its log removed.
                if rows.isEmpty, head == nil {
                    return .broken(countyID: county, seq: 1, reason: "the county has no audit entries, not even its bootstrap (its log was removed)")
                }
                if (head ?? 0) != last {
                    let reason = rows.isEmpty ? "all its entries were removed (the chain ended at \(head ?? 0))"
                        : "entries after it were removed (the chain ends at \(head ?? 0))"
                    return .broken(countyID: county, seq: last + 1, reason: reason)
                }
                entries += rows.count
                return nil
            }
            if let outcome { return outcome }
        }
        return .intact(entries: entries, counties: counties.count)
    }
}

public enum AuditVerifierError: Error, CustomStringConvertible {
    case notOwner(user: String, owner: String)

    public var description: String {
        switch self {
        case .notOwner(let user, let owner):
            "the audit log was not checked: connected as \(user), but only its owner (\(owner)) reads all of it; run with the owner's DATABASE_URL"
        }
    }
}
