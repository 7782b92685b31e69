import ArgumentParser
import Foundation
import JobQueue
import Postgres

struct JobsStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the queue: jobs per queue, kind and state, the oldest waiting, the runners, recent failures.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func run() async throws {
        let pool = ConnectionPool(database.pool(try database.requireURL()))
        defer { Task { await pool.close() } }
        let status = try await QueueStatus.read(from: pool)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            print(StatusReport(status).text)
        }
        await pool.close()
    }
}

/// `jobs status` as text an operator reads at a glance.
struct StatusReport {
    let status: QueueStatus
    init(_ status: QueueStatus) { self.status = status }

    var text: String {
        var lines: [String] = ["Jobs (waiting, running, failed):"]
        if status.depths.isEmpty { lines.append("  none") }
        for depth in status.depths {
            lines.append("  " + [depth.queue.padded(12), depth.kind.padded(24), depth.state.padded(10), String(depth.count)].joined(separator: " "))
        }
        lines.append("Oldest job ready to run:")
        if status.oldestWaitingSeconds.isEmpty { lines.append("  none waiting") }
        for (queue, age) in status.oldestWaitingSeconds.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(queue.padded(12)) \(String(format: "%.1f", age)) s")
        }
        lines.append("Runners:")
        if status.runners.isEmpty { lines.append("  none") }
        for runner in status.runners {
            lines.append("  \(runner.id.uuidString.prefix(8).lowercased())  \(runner.condition.padded(8)) \(runner.host):\(runner.pid)  "
                         + "running \(runner.running), done \(runner.succeeded), failed \(runner.failed), "
                         + "heartbeat \(String(format: "%.1f", runner.heartbeatAgeSeconds)) s ago")
        }
        lines.append("Recent failures:")
        if status.recentFailures.isEmpty { lines.append("  none") }
        for failure in status.recentFailures {
            lines.append("  #\(failure.id) \(failure.kind) \(failure.state) attempt \(failure.attempt)/\(failure.maxAttempts): \(failure.lastError.prefix(160))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Retry, discard or cancel one job by its id.
struct JobsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Run a failed or cancelled job again from its first attempt.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The job's id (see `jobs status`).") var id: Int64

    func run() async throws {
        try await administer(database, id, done: "job \(id) will run again") { try await JobAdministration.retry(id, on: $0) }
    }
}

struct JobsDiscardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "discard", abstract: "Delete a failed or cancelled job that has been dealt with.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The job's id (see `jobs status`).") var id: Int64

    func run() async throws {
        try await administer(database, id, done: "job \(id) discarded") { try await JobAdministration.discard(id, on: $0) }
    }
}

struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a waiting job, or ask a running one to stop.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The job's id (see `jobs status`).") var id: Int64

    func run() async throws {
        try await administer(database, id, done: "job \(id) cancelled (a running job stops at its runner's next heartbeat)") {
            try await JobAdministration.cancel(id, on: $0)
        }
    }
}

private func administer(_ database: DatabaseOptions, _ id: Int64, done: String,
                        _ action: @escaping (PostgresConnection) async throws -> Void) async throws {
    let pool = ConnectionPool(database.pool(try database.requireURL()))
    do {
        try await pool.withConnection { try await action($0) }
        await pool.close()
        print(done)
    } catch let failure as JobAdministration.Failure {
        await pool.close()
        switch failure {
        case .notFound(let id): throw CommandFailure("there is no job \(id)")
        case .notAllowed(let id, let state): throw CommandFailure("job \(id) is \(state); only failed or cancelled jobs can be retried or discarded, and only unfinished ones cancelled")
        case .uniqueKeyTaken(let id, let existing):
            throw CommandFailure("job \(id) has the unique key of an open job\(existing.map { " (#\($0))" } ?? ""); there is nothing to retry")
        }
    } catch {
        await pool.close()
        throw error
    }
}

/// A command that could not do what was asked: printed as `Error: …`, exit status 1, no usage.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
