import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `relieflink demo` starts its own PostgreSQL, serves, and leaves nothing behind.
@Suite("relieflink demo", .serialized)
struct DemoCommandTests {
    private struct RunningDemo {
        let process: Process
        let temporaryFolder: URL
        let port: Int
    }

    private func startDemo(port chosen: Int? = nil) throws -> RunningDemo {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appending(path: "relieflink")
        let folder = FileManager.default.temporaryDirectory.appending(path: "demo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        chmod(folder.path, 0o777)  // the private cluster may run as the postgres user
        let port = chosen ?? Int.random(in: 20_000...60_000)
        let process = Process()
        process.executableURL = binary
        // A small county: the seeding is not what these tests are about.
        process.arguments = ["demo", "--port", "\(port)", "--log-level", "warning", "--applications", "36"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["TMPDIR"] = folder.path
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // Not the test runner's own stderr: a demo outliving a crashed test process would hold
        // that pipe open, and `swift test` (and CI) would wait for it forever.
        let log = folder.appending(path: "demo.log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return RunningDemo(process: process, temporaryFolder: folder, port: port)
    }

    private func status(_ path: String, port: Int) async -> Int? {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { return nil }
        guard let (_, response) = try? await URLSession.shared.data(from: url) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    private func waitUntil(seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return await condition()
    }

    private func clusterFolders(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("relieflink-pg-") }
    }

    private func postgresRunning(under folder: URL) -> Bool {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.contains { pid in
            guard Int(pid) != nil, let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            return command.contains("postgres") && command.contains(folder.path)
        }
    }

    @Test("a demo that cannot listen stops at once, naming the address, and leaves no PostgreSQL behind")
    func portTaken() async throws {
        // Hold a port, as another server would.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && listen(holder, 1) == 0
                && getsockname(holder, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))

        let demo = try startDemo(port: port)
        defer { if demo.process.isRunning { kill(demo.process.processIdentifier, SIGKILL) } }
        let exited = await waitUntil(seconds: 60) { !demo.process.isRunning }
        #expect(exited, "the demo kept running without its server")
        #expect(demo.process.terminationStatus == 1)
        let log = (try? String(contentsOf: demo.temporaryFolder.appending(path: "demo.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("cannot listen on 127.0.0.1:\(port)"), "\(log.suffix(500))")
        #expect(!log.contains("claiming failed"), "the job runner took the group's cancellation for a database failure")
        #expect(clusterFolders(in: demo.temporaryFolder).isEmpty)
        #expect(!postgresRunning(under: demo.temporaryFolder))
    }

    @Test("demo serves ready, and Ctrl-C stops the server and removes its database")
    func demoAndInterrupt() async throws {
        let demo = try startDemo()
        defer { if demo.process.isRunning { kill(demo.process.processIdentifier, SIGKILL) } }
        let ready = await waitUntil(seconds: 60) { await status("/readyz", port: demo.port) == 200 }
        #expect(ready)
        #expect(await status("/healthz", port: demo.port) == 200)
        #expect(clusterFolders(in: demo.temporaryFolder).count == 1)
        demo.process.interrupt()
        let exited = await waitUntil(seconds: 30) { !demo.process.isRunning }
        #expect(exited)
        #expect(demo.process.terminationStatus == 0)
        #expect(clusterFolders(in: demo.temporaryFolder).isEmpty)
        #expect(!postgresRunning(under: demo.temporaryFolder))
    }

    @Test("a demo killed with SIGKILL still leaves no PostgreSQL and no files behind")
    func demoKilled() async throws {
        let demo = try startDemo()
        let ready = await waitUntil(seconds: 60) { await status("/readyz", port: demo.port) == 200 }
        #expect(ready)
        kill(demo.process.processIdentifier, SIGKILL)
        await waitForExit(of: demo.process)
        let cleaned = await waitUntil(seconds: 15) {
            clusterFolders(in: demo.temporaryFolder).isEmpty && !postgresRunning(under: demo.temporaryFolder)
        }
        #expect(cleaned)
    }
}
