import Foundation
import Postgres
import Testing
import TestSupport

@Suite("LISTEN and NOTIFY")
struct ListenTests {
    /// Collects what a listener delivers, so tests can wait for it with a deadline.
    final class Inbox: Sendable {
        private let received = Locked<[PostgresNotification]>([])
        private let ended = Locked(false)

        func collect(_ listener: NotificationListener) -> Task<Void, Never> {
            Task {
                for await notification in listener.notifications {
                    received.withLock { $0.append(notification) }
                }
                ended.withLock { $0 = true }
            }
        }

        var all: [PostgresNotification] { received.value }
        var payloads: [String] { all.map(\.payload) }
        var hasEnded: Bool { ended.value }

        /// Waits until `count` notifications have arrived; false when they did not within `limit`.
        func wait(for count: Int, within limit: Duration = .seconds(5)) async -> Bool {
            await eventually(within: limit, every: .milliseconds(10)) { received.value.count >= count }
        }
    }

    /// A listener (with an inbox collecting its notifications) and a sender connection to one
    /// new database; the listener is always closed afterwards.
    private func withListener<T>(
        applicationName: String = "relieflink-listener",
        onReconnect: (@Sendable () -> Void)? = nil,
        _ body: (NotificationListener, Inbox, PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnections(1) { configuration, connections in
            let listener = NotificationListener(configuration: configuration.named(applicationName), onReconnect: onReconnect)
            let inbox = Inbox()
            let collector = inbox.collect(listener)
            do {
                let value = try await body(listener, inbox, connections[0])
                listener.close()
                #expect(await eventually { inbox.hasEnded }, "the notification sequence did not finish after close()")
                collector.cancel()
                return value
            } catch {
                listener.close()
                collector.cancel()
                throw error
            }
        }
    }

    private func notify(_ sender: PostgresConnection, _ channel: String, _ payload: String) async throws {
        try await sender.query("SELECT pg_notify(\(channel), \(payload))")
    }

    @Test("a notification arrives with its channel, payload and sender's process id")
    func delivers() async throws {
        try await withListener { listener, inbox, sender in
            await listener.listen("Case Events")  // quoted: mixed case and a space
            try await notify(sender, "Case Events", "案件 42 已分派 \"quoted\" \\ ✓")
            try await sender.executeScript("NOTIFY \"Case Events\", 'plain NOTIFY'")
            #expect(await inbox.wait(for: 2))
            let first = try #require(inbox.all.first)
            #expect(first.channel == "Case Events")
            #expect(first.payload == "案件 42 已分派 \"quoted\" \\ ✓")
            #expect(first.senderPID == sender.backendPID)
            #expect(inbox.payloads == ["案件 42 已分派 \"quoted\" \\ ✓", "plain NOTIFY"])
        }
    }

    @Test("listen() returns only once LISTEN is active: a NOTIFY sent right after it arrives")
    func listenReturnsWhenActive() async throws {
        try await withListener { listener, inbox, sender in
            try await notify(sender, "channel_0", "before listening")  // nobody listens yet: lost
            for index in 0..<20 {
                await listener.listen("channel_\(index)")
                try await notify(sender, "channel_\(index)", "message \(index)")
            }
            #expect(await inbox.wait(for: 20))
            #expect(inbox.payloads == (0..<20).map { "message \($0)" })
            #expect(inbox.all.map(\.channel) == (0..<20).map { "channel_\($0)" })
        }
    }

    @Test("notifications sent in one transaction arrive after its COMMIT, in order")
    func transactionalNotify() async throws {
        try await withListener { listener, inbox, sender in
            await listener.listen("jobs")
            try await sender.transaction { tx in
                for index in 0..<3 { try await notify(tx, "jobs", "job \(index)") }
            }
            await #expect(throws: Boom()) {
                try await sender.transaction { tx in
                    try await notify(tx, "jobs", "rolled back")
                    throw Boom()
                }
            }
            try await notify(sender, "jobs", "marker")
            #expect(await inbox.wait(for: 4))
            #expect(inbox.payloads == ["job 0", "job 1", "job 2", "marker"])
        }
    }

    @Test("unlisten stops delivery on that channel only")
    func unlistenStopsDelivery() async throws {
        try await withListener { listener, inbox, sender in
            await listener.listen("cases")
            await listener.listen("tasks")
            try await notify(sender, "cases", "case 1")
            #expect(await inbox.wait(for: 1))
            listener.unlisten("cases")
            // listen() on a channel already listened to returns once the listener has caught up
            // with every change asked for before, the UNLISTEN included.
            await listener.listen("tasks")
            try await notify(sender, "cases", "case 2")
            try await notify(sender, "tasks", "task 1")
            #expect(await inbox.wait(for: 2))
            #expect(inbox.payloads == ["case 1", "task 1"])
        }
    }

    @Test("after its server process is terminated the listener reconnects, calls onReconnect and listens again")
    func resubscribesAfterTermination() async throws {
        let reconnects = Counter()
        try await withListener(applicationName: "listener-reconnect", onReconnect: { reconnects.increment() }) { listener, inbox, sender in
            await listener.listen("jobs")
            try await notify(sender, "jobs", "before")
            #expect(await inbox.wait(for: 1))
            let database = try #require(try await sender.query("SELECT current_database()").scalar(String.self))
            let pids = try await sender.backendPIDs(database: database, applicationName: "listener-reconnect")
            let oldPID = try #require(pids.first)
            #expect(pids.count == 1)
            #expect(reconnects.value == 0)

            #expect(try await sender.terminateBackend(oldPID))
            #expect(await eventually { reconnects.value == 1 }, "onReconnect was not called")
            // Without another listen(): NOTIFYs sent once it has listened again arrive.
            var sent = 0
            let arrived = try await eventually(within: .seconds(5), every: .milliseconds(50)) {
                sent += 1
                try await notify(sender, "jobs", "after \(sent)")
                return inbox.payloads.contains { $0.hasPrefix("after") }
            }
            #expect(arrived, "no notification arrived after the reconnect")
            let newPIDs = try await sender.backendPIDs(database: database, applicationName: "listener-reconnect")
            #expect(newPIDs.count == 1 && newPIDs != [oldPID])
            #expect(reconnects.value == 1)
        }
    }

    @Test("close() finishes the sequence; listen() on a closed listener returns instead of hanging")
    func closeFinishes() async throws {
        let configuration = try await TestDatabase.create(migrated: false)
        let listener = NotificationListener(configuration: configuration)
        let inbox = Inbox()
        let collector = inbox.collect(listener)
        await listener.listen("jobs")
        listener.close()
        #expect(await eventually { inbox.hasEnded })
        try await withDeadline(.seconds(2)) { await listener.listen("late") }
        collector.cancel()
    }

    @Test("close() twice and unlisten() after close write to no file the listener no longer owns")
    func callsAfterCloseWriteNowhere() async throws {
        let configuration = try await TestDatabase.create(migrated: false)
        let listener = NotificationListener(configuration: configuration)
        let inbox = Inbox()
        let collector = inbox.collect(listener)
        await listener.listen("jobs")
        listener.close()
        #expect(await eventually { inbox.hasEnded })  // its thread has ended and released its files
        // New files get the lowest free descriptors: very likely those the listener released.
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<8 {
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            pipes.append((fds[0], fds[1]))
        }
        defer { for (read, write) in pipes { _ = Glibc.close(read); _ = Glibc.close(write) } }
        listener.close()
        listener.unlisten("jobs")
        await listener.listen("late")
        for (read, _) in pipes {
            var byte: UInt8 = 0
            #expect(Glibc.read(read, &byte, 1) == -1, "the closed listener wrote into descriptor \(read - 1) or \(read)")
        }
        collector.cancel()
    }
}
