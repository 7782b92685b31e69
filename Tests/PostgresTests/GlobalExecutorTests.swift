import Foundation
import Postgres
import TestSupport
import Testing

/// Swift's global executor runs on the database event loops (`GlobalExecutor`), as `relieflink`
/// and this test process install it: a task's statements then need no thread switch.
@Suite("Global executor on the event loops")
struct GlobalExecutorTests {
    @Test("a task of the global executor runs on an event loop, new ones from other threads included")
    func tasksRunOnLoops() async throws {
        #expect(GlobalExecutor.runOnDatabaseEventLoops(), "installed, or already installed by this process")
        #expect(await Task.detached { GlobalExecutor.isRunningOnEventLoop }.value)
        // From a thread that is no loop's, as NIO's threads and timers enqueue work.
        let fromThread: Bool = await withCheckedContinuation { continuation in
            Thread { Task { continuation.resume(returning: GlobalExecutor.isRunningOnEventLoop) } }.start()
        }
        #expect(fromThread)
    }

    @Test("a pooled statement runs on the caller's loop: the task resumes on the thread it ran on, with a correct answer")
    func statementsStayOnTheCallersLoop() async throws {
        #expect(GlobalExecutor.runOnDatabaseEventLoops())
        let pool = ConnectionPool(.init(connection: try await TestDatabase.create(migrated: false), maximumConnections: 4))
        do {
            let threads = try await Task.detached {
                _ = try await pool.query("SELECT 1")  // opens a connection; the task goes to its loop
                var seen: Set<UInt> = []
                for n in 1...50 {
                    seen.insert(pthread_self())
                    #expect(try await pool.query("SELECT \(n)::int8").scalar(Int.self) == n)
                    seen.insert(pthread_self())
                }
                #expect(GlobalExecutor.isRunningOnEventLoop)
                return seen.count
            }.value
            #expect(threads == 1, "the task moved between \(threads) threads")
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// Runs statements from an actor's code, which resumes wherever the actor runs next.
private actor StatementSeries {
    let pool: ConnectionPool
    init(pool: ConnectionPool) { self.pool = pool }

    func sum(upTo count: Int) async throws -> Int {
        var total = 0
        for n in 1...count { total += try await pool.query("SELECT \(n)::int8").scalar(Int.self) ?? 0 }
        return total
    }
}

extension GlobalExecutorTests {
    @Test("an actor's statements, several at once, each get their own answer on a loop shared with others")
    func actorStatements() async throws {
        #expect(GlobalExecutor.runOnDatabaseEventLoops())
        let pool = ConnectionPool(.init(connection: try await TestDatabase.create(migrated: false), maximumConnections: 3))
        do {
            let series = StatementSeries(pool: pool)
            let sums = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await series.sum(upTo: 40) } }
                // Plain tasks beside them, on the same loops and connections.
                for _ in 0..<6 { group.addTask { for _ in 0..<40 { _ = try await pool.query("SELECT 1") }; return 820 } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(sums == Array(repeating: 820, count: 12))
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}
