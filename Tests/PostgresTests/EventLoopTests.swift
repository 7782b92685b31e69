import Foundation
import Postgres
import Testing

/// Connections share a few event-loop threads: nothing one connection waits for may hold up
/// the others on its loop.
@Suite("Event loops")
struct EventLoopTests {
    @Test("a long statement on one connection holds up none of the others on the same loops")
    func longStatementBlocksNoOne() async throws {
        // More connections than loops (one per core), so some share the sleeper's loop.
        let count = 2 * ProcessInfo.processInfo.activeProcessorCount + 2
        try await withConnections(count) { _, connections in
            let sleeper = connections[0]
            // Long enough that a loaded machine (the whole suite runs in parallel) cannot blur
            // "ran beside it" with "waited for it".
            let sleeping = Task { try await sleeper.query("SELECT pg_sleep(6)") }
            try await Task.sleep(for: .milliseconds(200))  // let it reach the server
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in connections.dropFirst() {
                    group.addTask { for _ in 0..<20 { try await connection.query("SELECT 1") } }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(4), "other connections waited \(elapsed) behind a sleeping one")
            _ = try await sleeping.value
        }
    }

    @Test("code running on a connection's loop may use other connections, on any loop")
    func bodyOnLoopUsesOthers() async throws {
        try await withConnections(3) { _, connections in
            let total = try await withTaskExecutorPreference(connections[0].executor) {
                var sum = 0
                for connection in connections {
                    sum += try await connection.query("SELECT \(2)::int8 + 1").scalar(Int.self) ?? 0
                }
                return sum
            }
            #expect(total == 9)
        }
    }

    @Test("statements sent at once on one connection take turns, each getting its own result")
    func sharedConnectionTakesTurns() async throws {
        try await withConnections(1) { _, connections in
            let connection = connections[0]
            try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 1...40 {
                    group.addTask { try await connection.query("SELECT \(n)::int8").scalar(Int.self) ?? -1 }
                }
                var seen: [Int] = []
                for try await value in group { seen.append(value) }
                #expect(seen.sorted() == Array(1...40))
            }
            #expect(!connection.isBroken)
        }
    }

    @Test("one connection shared by tasks on its loop and tasks on Swift's threads takes turns, answers awaited or read at once")
    func sharedAcrossThreadsTakesTurns() async throws {
        try await withConnections(1) { _, connections in
            let connection = connections[0]
            try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in 0..<8 {
                    // Half wait on the loop's thread, half on the cooperative pool: the gate hands
                    // the connection between threads. Every fourth statement makes the server
                    // pause, so its answer is waited for rather than read at once.
                    let body: @Sendable () async throws -> [Int] = {
                        var values: [Int] = []
                        for step in 0..<25 {
                            let n = worker * 100 + step
                            let query: PostgresQuery = step % 4 == 0
                                ? "SELECT \(n)::int8 FROM pg_sleep(0.002)" : "SELECT \(n)::int8"
                            values.append(try await connection.query(query).scalar(Int.self) ?? -1)
                        }
                        return values
                    }
                    if worker.isMultiple(of: 2) {
                        group.addTask { try await withTaskExecutorPreference(connection.executor, operation: body) }
                    } else {
                        group.addTask(operation: body)
                    }
                }
                var seen: [Int] = []
                for try await values in group { seen += values }
                var expected: [Int] = []
                for worker in 0..<8 { expected += (0..<25).map { worker * 100 + $0 } }
                #expect(seen.sorted() == expected)
            }
            #expect(!connection.isBroken)
            #expect(try await connection.query("SELECT 7::int8").scalar(Int.self) == 7)
        }
    }
}
