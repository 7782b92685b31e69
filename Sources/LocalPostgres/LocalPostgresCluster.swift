import Foundation
import Logging
import Postgres
import Subprocess
import SystemPackage

/// A private PostgreSQL cluster of our own, for `relieflink demo`, benchmarks and tests.
///
/// It lives in a fresh temporary folder, listens only on a unix socket in that folder (no TCP),
/// runs as the `postgres` OS user when we are root (PostgreSQL refuses root), and is removed
/// when `stop()` is called. A small watcher process also stops and removes it when this
/// process ends in any way, Ctrl-C and SIGKILL included, so no cluster is ever left behind.
public final class LocalPostgresCluster: Sendable {
    public struct Options: Sendable {
        /// Off for tests and benchmarks: fsync costs time and a test cluster is thrown away anyway.
        public var durable: Bool
        public var maxConnections: Int

        public init(durable: Bool = true, maxConnections: Int = 200) {
            self.durable = durable
            self.maxConnections = maxConnections
        }
    }

    public let baseDirectory: URL
    public let dataDirectory: URL
    public let socketDirectory: URL
    public let binaries: PostgresBinaries
    public let port = 5432
    public let superuser = "postgres"
    public let options: Options
    private let runAs: OSUser?
    private let logger: Logger

    struct OSUser: Sendable {
        let uid: uid_t
        let gid: gid_t
    }

    private init(baseDirectory: URL, binaries: PostgresBinaries, options: Options, runAs: OSUser?, logger: Logger) {
        self.baseDirectory = baseDirectory
        self.options = options
        dataDirectory = baseDirectory.appending(path: "data")
        socketDirectory = baseDirectory.appending(path: "socket")
        self.binaries = binaries
        self.runAs = runAs
        self.logger = logger
    }

    /// libpq connection string for a database of this cluster, as the superuser.
    public func connectionString(database: String = "postgres", user: String? = nil) -> String {
        "host=\(socketDirectory.path) port=\(port) dbname=\(database) user=\(user ?? superuser)"
    }

    /// Creates an empty database in the cluster (CREATE DATABASE cannot run in a transaction,
    /// so it gets a connection of its own).
    public func createDatabase(_ name: String) async throws {
        let admin = try await PostgresConnection.connect(.init(connectionString()), logger: logger)
        do {
            try await admin.executeScript("CREATE DATABASE \(quoteIdentifier(name))")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }

    /// Creates and starts a new cluster; takes a second or two.
    public static func start(
        options: Options = Options(),
        logger: Logger = Logger(label: "relieflink.local-postgres")
    ) async throws -> LocalPostgresCluster {
        let binaries = try PostgresBinaries.locate()
        let runAs = try postgresUserIfRoot()
        var template = Array((FileManager.default.temporaryDirectory.path + "/relieflink-pg-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw LocalPostgresError.commandFailed(command: "mkdtemp", status: "errno \(errno)", output: "")
        }
        let base = URL(fileURLWithPath: String(cString: created))
        let cluster = LocalPostgresCluster(baseDirectory: base, binaries: binaries, options: options, runAs: runAs, logger: logger)
        do {
            try FileManager.default.createDirectory(at: cluster.socketDirectory, withIntermediateDirectories: false)
            if let runAs {
                for path in [base.path, cluster.socketDirectory.path] { chown(path, runAs.uid, runAs.gid) }
            }
            try await cluster.startWatcher()
            try await cluster.initialize()
            try await cluster.launch()
        } catch {
            try? FileManager.default.removeItem(at: base)
            throw error
        }
        logger.info("started a private PostgreSQL", metadata: ["socket": "\(cluster.socketDirectory.path)"])
        return cluster
    }

    private func initialize() async throws {
        try await runServerProgram("initdb", [
            "-D", dataDirectory.path, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C",
            "--no-sync", "--no-instructions",
        ])
    }

    /// The server's settings, as `-o` options of pg_ctl.
    private var serverOptions: String {
        var settings = [
            "listen_addresses=''", "unix_socket_directories='\(socketDirectory.path)'", "port=\(port)",
            "max_connections=\(options.maxConnections)", "shared_buffers=128MB", "log_min_messages=warning",
        ]
        if !options.durable {
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        }
        return settings.map { "-c \($0)" }.joined(separator: " ")
    }

    private func launch() async throws {
        try await runServerProgram("pg_ctl", [
            "-D", dataDirectory.path, "-l", baseDirectory.appending(path: "postgres.log").path, "-w", "-t", "60",
            "-o", serverOptions, "start",
        ])
    }

    /// Restarts the server as an operator would (fast shutdown: open sessions are ended) and
    /// returns once it accepts connections again. Data is kept.
    ///
    /// - Parameter whileDown: runs after the server stopped and before it starts again, so a
    ///   test can watch what clients see while it is gone; the server starts again also when
    ///   it throws.
    public func restart(whileDown: () async throws -> Void = {}) async throws {
        try await runServerProgram("pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
        var failure: (any Error)?
        do { try await whileDown() } catch { failure = error }
        try await launch()
        if let failure { throw failure }
    }

    /// Stops the server and removes its folder.
    public func stop() async {
        do {
            try await runServerProgram("pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
        } catch {
            logger.warning("could not stop the private PostgreSQL", metadata: ["error": "\(error)"])
        }
        try? FileManager.default.removeItem(at: baseDirectory)
    }

    /// Starts a watcher in a session of its own: when this process is gone, it stops the
    /// server immediately and removes the folder.
    private func startWatcher() async throws {
        let pidFile = dataDirectory.appending(path: "postmaster.pid").path
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            if [ -f '\(pidFile)' ]; then kill -QUIT "$(head -n 1 '\(pidFile)')" 2>/dev/null; sleep 1; fi
            rm -rf '\(baseDirectory.path)'
            """
        var platform = PlatformOptions()
        platform.createSession = true
        let sendablePlatform = platform
        Task.detached {
            _ = try? await Subprocess.run(
                .path("/bin/sh"), arguments: ["-c", script], platformOptions: sendablePlatform,
                input: .none, output: .discarded, error: .discarded)
        }
    }

    /// Runs initdb/pg_ctl, as the postgres OS user when we are root.
    ///
    /// The user is switched by `setpriv` after exec, not in the forked child: in a child forked
    /// from a multi-threaded process, glibc's setgroups/setuid can wait forever for a thread
    /// that was being created at the moment of the fork (seen with tests running in parallel).
    private func runServerProgram(_ name: String, _ arguments: [String]) async throws {
        var executable = FilePath(binaries.program(name).path)
        var arguments = arguments
        var platform = PlatformOptions()
        if let runAs {
            if let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
                arguments = ["--reuid=\(runAs.uid)", "--regid=\(runAs.gid)", "--clear-groups", "--", executable.string] + arguments
                executable = FilePath(setpriv)
            } else {
                platform.userID = runAs.uid
                platform.groupID = runAs.gid
                platform.supplementaryGroups = []
            }
        }
        let result = try await Subprocess.run(
            .path(executable), arguments: Arguments(arguments),
            environment: .inherit.updating(["LC_ALL": "C", "PGTZ": "UTC"]),
            workingDirectory: FilePath(baseDirectory.path), platformOptions: platform,
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        guard case .exited(0) = result.terminationStatus else {
            var output = result.standardOutput + result.standardError
            if name == "pg_ctl", let log = try? String(contentsOf: baseDirectory.appending(path: "postgres.log"), encoding: .utf8) {
                output += "\nserver log:\n" + log
            }
            throw LocalPostgresError.commandFailed(command: name, status: "\(result.terminationStatus)", output: output)
        }
    }

    private static func postgresUserIfRoot() throws -> OSUser? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else { throw LocalPostgresError.noPostgresUser }
        return OSUser(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }
}
