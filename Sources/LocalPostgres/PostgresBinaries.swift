import Foundation

/// Where the installed PostgreSQL server programs are (initdb, pg_ctl, postgres, pgbench).
public struct PostgresBinaries: Sendable {
    public let directory: URL

    public func program(_ name: String) -> URL { directory.appending(path: name) }

    /// Looks in `RELIEFLINK_PG_BINDIR`, then Debian's `/usr/lib/postgresql/<version>/bin`
    /// (newest first), then `PATH`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresBinaries {
        var candidates: [URL] = []
        if let configured = environment["RELIEFLINK_PG_BINDIR"], !configured.isEmpty {
            // Said on purpose, so it is not passed over for another installation in silence.
            let binaries = PostgresBinaries(directory: URL(fileURLWithPath: configured))
            guard binaries.isComplete else { throw LocalPostgresError.configuredBinariesMissing(configured) }
            return binaries
        }
        let debianRoot = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: debianRoot.path)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append(debianRoot.appending(path: version).appending(path: "bin"))
        }
        for entry in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(URL(fileURLWithPath: String(entry)))
        }
        for directory in candidates {
            let binaries = PostgresBinaries(directory: directory)
            if binaries.isComplete { return binaries }
        }
        throw LocalPostgresError.serverNotInstalled
    }

    private var isComplete: Bool {
        ["initdb", "pg_ctl", "postgres"].allSatisfy { FileManager.default.isExecutableFile(atPath: program($0).path) }
    }
}

public enum LocalPostgresError: Error, CustomStringConvertible {
    case serverNotInstalled
    case configuredBinariesMissing(String)
    case noPostgresUser
    case commandFailed(command: String, status: String, output: String)

    public var description: String {
        switch self {
        case .serverNotInstalled:
            "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found. "
                + "Install them with: apt-get install -y postgresql  (or set DATABASE_URL to a server of yours, "
                + "or RELIEFLINK_PG_BINDIR to the folder holding them)"
        case .configuredBinariesMissing(let folder):
            "RELIEFLINK_PG_BINDIR is \(folder), which does not hold initdb, pg_ctl and postgres. "
                + "Set it to the folder that does (on Debian /usr/lib/postgresql/<version>/bin), or unset it"
        case .noPostgresUser:
            "PostgreSQL refuses to run as root, and there is no 'postgres' user to run it as. "
                + "Install Debian's postgresql package (it creates the user), or run as an ordinary user"
        case .commandFailed(let command, let status, let output):
            "\(command) failed (\(status)):\n\(output)"
        }
    }
}
