import ArgumentParser
import Foundation
import LocalPostgres
import Subprocess
import SystemPackage

/// PostgreSQL's own benchmark client, the reference our benchmarks stand beside.
struct Pgbench {
    let executable: URL

    static func locate() throws -> Pgbench {
        if let binaries = try? PostgresBinaries.locate(),
           FileManager.default.isExecutableFile(atPath: binaries.program("pgbench").path) {
            return Pgbench(executable: binaries.program("pgbench"))
        }
        for directory in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: directory + "/pgbench") {
            return Pgbench(executable: URL(fileURLWithPath: directory + "/pgbench"))
        }
        throw ValidationError("pgbench was not found; install it with: apt-get install -y postgresql-contrib (or postgresql)")
    }

    /// Runs `script` with prepared statements from `clients` connections for `seconds`; its tps.
    func transactionsPerSecond(url: String, script: URL, clients: Int, seconds: Double) async throws -> Double {
        let threads = min(clients, ProcessInfo.processInfo.activeProcessorCount)
        let result = try await Subprocess.run(
            .path(FilePath(executable.path)),
            arguments: ["-n", "-M", "prepared", "-c", "\(clients)", "-j", "\(threads)", "-T", "\(Int(seconds.rounded(.up)))",
                        "-f", script.path, url],
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let output = result.standardOutput
        let lines = output.split(separator: "\n")
        guard case .exited(0) = result.terminationStatus else {
            throw PgbenchFailed(status: "\(result.terminationStatus)", output: output + result.standardError)
        }
        if let line = lines.first(where: { $0.hasPrefix("tps = ") }), let tps = Double(line.dropFirst(6).prefix { $0 != " " }) {
            return tps
        }
        // A machine so loaded that connecting took the whole run: pgbench ran, but finished no
        // transaction and prints no rate. That slice's rate is zero, not a failed benchmark.
        if lines.contains(where: { $0.hasPrefix("number of transactions actually processed: 0") }) { return 0 }
        throw PgbenchFailed(status: "\(result.terminationStatus)", output: output + result.standardError)
    }

    /// Writes pgbench scripts into a new folder others may read (pgbench may run as another
    /// user when we are root).
    static func writeScripts(_ scripts: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "relieflink-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in scripts {
            try text.write(to: folder.appending(path: name), atomically: true, encoding: .utf8)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        return folder
    }
}

/// pgbench ended with an error, or without the rate it prints: a failed run, not a usage error.
struct PgbenchFailed: Error, CustomStringConvertible {
    let status: String
    let output: String
    var description: String { "pgbench failed (\(status)): \(output)" }
}
