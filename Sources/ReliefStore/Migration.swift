import Crypto
import Foundation

/// One file of `sql/migrations`, named `NNNN_name.sql`: applied once, in order of `version`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    /// The file name, e.g. `0001_extensions.sql`.
    public let name: String
    public let sql: String
    /// SHA-256 of the file, hex: an applied file that was edited afterwards is refused.
    public let checksum: String
    /// False when the file's first line is `-- relieflink:no-transaction` (for statements such
    /// as `CREATE INDEX CONCURRENTLY` that cannot run inside a transaction).
    public let isTransactional: Bool

    public init(name: String, sql: String) throws {
        let stem = name.hasSuffix(".sql") ? String(name.dropLast(4)) : name
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard name.hasSuffix(".sql"), parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0,
              !parts[1].isEmpty
        else {
            throw MigrationError.badFileName(name)
        }
        self.version = version
        self.name = name
        self.sql = sql
        checksum = SHA256.hash(data: Data(sql.utf8)).hexEncoded
        isTransactional = !(sql.split(separator: "\n", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces) == "-- relieflink:no-transaction")
    }

    /// The migrations built into this binary from `sql/migrations`, in order.
    public static func bundled() throws -> [Migration] {
        try ordered(EmbeddedFiles.all.map { try Migration(name: $0.name, sql: $0.contents) })
    }

    /// Sorts by version and refuses two files with one version.
    public static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let sorted = migrations.sorted { ($0.version, $0.name) < ($1.version, $1.name) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(previous.name, next.name)
        }
        return sorted
    }
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(String, String)
    case editedAfterApplying(name: String)
    case renamedAfterApplying(version: Int, applied: String, file: String)
    case unknownAppliedVersion(version: Int, name: String)
    case failed(name: String, reason: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            "migration file \(name) is not named NNNN_name.sql"
        case .duplicateVersion(let first, let second):
            "migrations \(first) and \(second) have the same number"
        case .editedAfterApplying(let name):
            "migration \(name) was edited after it was applied to this database; "
                + "restore the applied text and put the change in a new migration"
        case .renamedAfterApplying(let version, let applied, let file):
            "migration \(version) was applied as \(applied) but the file is now named \(file)"
        case .unknownAppliedVersion(let version, let name):
            "the database has migration \(name) (\(version)), which this build does not know: "
                + "it was migrated by a newer ReliefLink"
        case .failed(let name, let reason):
            "migration \(name) failed and was rolled back: \(reason)"
        }
    }
}
