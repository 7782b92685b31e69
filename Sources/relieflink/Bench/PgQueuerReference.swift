import Foundation
import Subprocess
import SystemPackage

/// PgQueuer (PyPI), the reference `bench jobs` stands beside: its own Python script run on the
/// same database in the same run. It needs a Python with `pgqueuer` and `asyncpg`: given with
/// --reference-python, found as python3, or set up once in ~/.cache/relieflink/pgqueuer.
struct PgQueuerReference {
    let python: String

    struct Figures: Decodable {
        let enqueue_batched: Double
        let drain_batch_100: Double
        let enqueue_single: Double
        let drain_default: Double
        let latency_p50_ms: Double
        let latency_p99_ms: Double
    }

    /// A Python that can import pgqueuer, setting one up if need be; nil (and why, on
    /// standard error) when there is none.
    static func locate(_ given: String?) async -> PgQueuerReference? {
        var candidates = [given, "python3"].compactMap { $0 }
        let cached = FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/relieflink/pgqueuer")
        candidates.append(cached.appending(path: "bin/python").path)
        for python in candidates where await canImport(python) { return PgQueuerReference(python: python) }
        guard given == nil else {
            FileHandle.standardError.write(Data("\(given!) cannot import pgqueuer and asyncpg; no reference\n".utf8))
            return nil
        }
        FileHandle.standardError.write(Data("setting up PgQueuer in \(cached.path) (once)…\n".utf8))
        _ = try? await run("python3", ["-m", "venv", cached.path])
        _ = try? await run(cached.appending(path: "bin/pip").path, ["install", "-q", "pgqueuer", "asyncpg"])
        if await canImport(cached.appending(path: "bin/python").path) {
            return PgQueuerReference(python: cached.appending(path: "bin/python").path)
        }
        FileHandle.standardError.write(Data("PgQueuer could not be installed (no network?); the reference is left out\n".utf8))
        return nil
    }

    /// Runs the reference on the database at `socketDirectory`: `batched` jobs enqueued a
    /// thousand at a time then drained with batches of 100, `single` enqueued one per
    /// transaction from `clients` connections then drained at PgQueuer's defaults, and
    /// `samples` pings for idle pickup latency.
    func measure(socketDirectory: String, port: Int, database: String, user: String,
                 batched: Int, single: Int, samples: Int, clients: Int) async throws -> Figures {
        let script = FileManager.default.temporaryDirectory.appending(path: "relieflink-pgqueuer-\(UUID().uuidString).py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let output = try await Self.run(python, [script.path, socketDirectory, String(port), database, user,
                                                 String(batched), String(single), String(samples), String(clients)])
        guard let line = output.split(separator: "\n").last, let figures = try? JSONDecoder().decode(Figures.self, from: Data(line.utf8)) else {
            throw CommandFailure("the PgQueuer reference printed no figures: \(output.suffix(2000))")
        }
        return figures
    }

    private static func canImport(_ python: String) async -> Bool {
        (try? await run(python, ["-c", "import pgqueuer, asyncpg"])) != nil
    }

    /// Runs a program; its standard output, or an error with its standard error.
    @discardableResult
    private static func run(_ program: String, _ arguments: [String]) async throws -> String {
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let result = try await Subprocess.run(executable, arguments: Arguments(arguments), input: .none,
                                              output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        guard case .exited(0) = result.terminationStatus else {
            throw CommandFailure("\(program) failed: \(result.standardError)")
        }
        return result.standardOutput
    }

    static let script = #"""
# The reference for `relieflink bench jobs`: PgQueuer (PyPI) on the same database in the same
# run. Prints one JSON object: enqueue and processing rates, and idle pickup latency.
import asyncio, json, sys, time
from datetime import timedelta

import asyncpg
from pgqueuer import QueueManager, Queries
from pgqueuer.db import AsyncpgDriver, AsyncpgPoolDriver


def params():
    host, port, database, user = sys.argv[1:5]
    return dict(host=host, port=int(port), database=database, user=user)


async def drain(total, batch_size):
    connection = await asyncpg.connect(**params())
    manager = QueueManager(Queries(AsyncpgDriver(connection)))
    done = 0

    @manager.entrypoint("noop")
    async def noop(job):
        nonlocal done
        done += 1
        if done >= total:
            manager.shutdown.set()

    start = time.perf_counter()
    await manager.run(batch_size=batch_size, dequeue_timeout=timedelta(seconds=1))
    rate = total / (time.perf_counter() - start)
    await connection.close()
    return rate


async def latency(samples):
    connection = await asyncpg.connect(**params())
    manager = QueueManager(Queries(AsyncpgDriver(connection)))
    producer_connection = await asyncpg.connect(**params())
    producer_queries = Queries(AsyncpgDriver(producer_connection))
    seen = []

    @manager.entrypoint("ping")
    async def ping(job):
        seen.append(time.perf_counter() - float(job.payload.decode()))
        if len(seen) >= samples:
            manager.shutdown.set()

    async def produce():
        await asyncio.sleep(1.0)
        for _ in range(samples):
            await producer_queries.enqueue("ping", str(time.perf_counter()).encode())
            await asyncio.sleep(0.02)

    await asyncio.gather(manager.run(batch_size=10, dequeue_timeout=timedelta(seconds=5)), produce())
    await connection.close()
    await producer_connection.close()
    seen.sort()
    return seen[len(seen) // 2] * 1000, seen[min(len(seen) - 1, int(len(seen) * 0.99))] * 1000


async def main():
    batched, single, samples, clients = (int(value) for value in sys.argv[5:9])
    connection = await asyncpg.connect(**params())
    queries = Queries(AsyncpgDriver(connection))
    try:
        await queries.install()
    except Exception:
        pass  # installed by an earlier run
    figures = {}

    start = time.perf_counter()
    for offset in range(0, batched, 1000):
        count = min(1000, batched - offset)
        await queries.enqueue(["noop"] * count, [None] * count, [0] * count)
    figures["enqueue_batched"] = batched / (time.perf_counter() - start)
    figures["drain_batch_100"] = await drain(batched, 100)

    pool = await asyncpg.create_pool(**params(), min_size=clients, max_size=clients)
    pooled = Queries(AsyncpgPoolDriver(pool))

    async def enqueue_each(count):
        for _ in range(count):
            await pooled.enqueue("noop", None)

    start = time.perf_counter()
    await asyncio.gather(*(enqueue_each(single // clients) for _ in range(clients)))
    figures["enqueue_single"] = (single // clients * clients) / (time.perf_counter() - start)
    await pool.close()
    figures["drain_default"] = await drain(single // clients * clients, 10)

    figures["latency_p50_ms"], figures["latency_p99_ms"] = await latency(samples)
    await connection.close()
    print(json.dumps(figures))


asyncio.run(main())
"""#
}
