import CLibPQ
import Foundation
import Logging
import Synchronization

/// A message sent with `NOTIFY channel, 'payload'` or `pg_notify(channel, payload)`.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// The server process that sent it.
    public let senderPID: Int32
}

/// LISTEN on a connection of its own, delivering notifications as an `AsyncSequence`.
///
/// When the connection breaks it reconnects with back-off and LISTENs again on every channel.
/// Notifications sent while it was disconnected are lost: `onReconnect` is called so the
/// owner can catch up (e.g. poll its queue).
public final class NotificationListener: Sendable {
    public let notifications: AsyncStream<PostgresNotification>
    private let continuation: AsyncStream<PostgresNotification>.Continuation
    private let control: Mutex<Control>
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private struct Control {
        var channels: Set<String> = []
        var stopping = false
        var isListening = false
        /// The loop has ended and closed the wake-up pipe: its descriptors may belong to others now.
        var pipeClosed = false
        var waiters: [(channels: Set<String>, continuation: CheckedContinuation<Void, Never>)] = []
    }

    public init(
        configuration: ConnectionConfiguration,
        logger: Logger = Logger(label: "relieflink.postgres.listener"),
        onReconnect: (@Sendable () -> Void)? = nil
    ) {
        (notifications, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100_000))
        control = Mutex(Control())
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "cannot create a pipe")
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)  // a full pipe is a wake-up already
        let thread = Thread { [self] in
            self.loop(configuration: configuration, logger: logger, onReconnect: onReconnect)
        }
        thread.name = "postgres-listener"
        thread.start()
    }

    /// LISTENs on `channel`; returns once the server has confirmed it (waiting out a reconnect).
    /// On a closed listener it returns at once.
    public func listen(_ channel: String) async {
        await withCheckedContinuation { continuation in
            let stopping = control.withLock { control in
                // Once stopping, the loop may already have resumed its last waiters: never queue.
                guard !control.stopping else { return true }
                control.channels.insert(channel)
                control.waiters.append(([channel], continuation))
                return false
            }
            if stopping { continuation.resume() } else { wake() }
        }
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) {
        control.withLock { _ = $0.channels.remove(channel) }
        wake()
    }

    /// Closes the connection and finishes the sequence.
    public func close() {
        control.withLock { $0.stopping = true }
        wake()
    }

    private func wake() {
        control.withLock { control in
            guard !control.pipeClosed else { return }
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func loop(configuration: ConnectionConfiguration, logger: Logger, onReconnect: (@Sendable () -> Void)?) {
        var connection: LibPQConnection?
        var subscribed: Set<String> = []
        var hasConnectedBefore = false
        var backoffMilliseconds: Int32 = 100
        while !control.withLock({ $0.stopping }) {
            guard let live = connection, !live.isBroken else {
                connection?.close()
                connection = nil
                subscribed = []
                do {
                    connection = try LibPQConnection.connect(configuration, logger: logger)
                    backoffMilliseconds = 100
                    if hasConnectedBefore {
                        logger.info("listener reconnected")
                        onReconnect?()
                    }
                    hasConnectedBefore = true
                } catch {
                    logger.warning("listener cannot connect; retrying", metadata: ["error": "\(error)", "retry_ms": "\(backoffMilliseconds)"])
                    _ = waitForInput([wakeRead], milliseconds: backoffMilliseconds)
                    drainWake()
                    backoffMilliseconds = min(backoffMilliseconds * 2, 5000)
                }
                continue
            }
            let wanted = control.withLock { $0.channels }
            do {
                for channel in wanted.subtracting(subscribed) {
                    try live.executeScriptBlocking("LISTEN \(quoteIdentifier(channel))")
                }
                for channel in subscribed.subtracting(wanted) {
                    try live.executeScriptBlocking("UNLISTEN \(quoteIdentifier(channel))")
                }
                subscribed = wanted
            } catch {
                logger.warning("listener cannot LISTEN", metadata: ["error": "\(error)"])
                live.close()
                continue
            }
            let confirmed = control.withLock { control in
                let ready = control.waiters.filter { $0.channels.isSubset(of: subscribed) }
                control.waiters.removeAll { $0.channels.isSubset(of: subscribed) }
                return ready.map(\.continuation)
            }
            confirmed.forEach { $0.resume() }
            deliver(from: live)
            let ready = waitForInput([live.socket, wakeRead], milliseconds: 1000)
            if ready.contains(wakeRead) { drainWake() }
            if ready.contains(live.socket), PQconsumeInput(live.pointer) == 0 {
                logger.warning("listener connection lost; reconnecting")
                live.close()
                continue
            }
            deliver(from: live)
        }
        connection?.close()
        let waiting = control.withLock { control in
            control.pipeClosed = true
            Glibc.close(wakeRead)
            Glibc.close(wakeWrite)
            defer { control.waiters = [] }
            return control.waiters.map(\.continuation)
        }
        waiting.forEach { $0.resume() }
        continuation.finish()
    }

    private func deliver(from connection: LibPQConnection) {
        while let notice = PQnotifies(connection.pointer) {
            continuation.yield(PostgresNotification(
                channel: String(cString: notice.pointee.relname),
                payload: String(cString: notice.pointee.extra),
                senderPID: notice.pointee.be_pid))
            PQfreemem(notice)
        }
    }
}
