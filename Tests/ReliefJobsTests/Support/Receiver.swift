import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A local HTTP server on 127.0.0.1 (a port the kernel picks) that records every POST and
/// answers the statuses it was given, in order, then 200: an SMS gateway or the 12345
/// platform as the job runner meets them.
final class Receiver: Sendable {
    struct Received: Sendable {
        let path: String
        let headers: [String: String]
        let body: Data
        /// What the receiver answered.
        let status: Int

        func header(_ name: String) -> String? { headers[name.lowercased()] }
        var json: [String: String] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: String] ?? [:]
        }
    }

    private struct State {
        var answers: [Int]
        var received: [Received] = []
    }

    private let state: Mutex<State>
    private let portBox = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, Error>?>(nil)

    private init(answers: [Int]) {
        state = Mutex(State(answers: answers))
    }

    /// Starts a receiver answering `answers` (then 200) and waits until it listens.
    static func start(answering answers: [Int] = []) async throws -> Receiver {
        let receiver = Receiver(answers: answers)
        let router = Router()
        router.post("**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return receiver.record(request, body: Data(buffer: body))
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "receiver"),
            onServerRunning: { channel in receiver.portBox.withLock { $0 = channel.localAddress?.port } })
        receiver.task.withLock { $0 = Task { try await application.runService(gracefulShutdownSignals: []) } }
        guard try await waitUntil(.seconds(10), { receiver.portBox.withLock { $0 } != nil }) else {
            await receiver.stop()
            throw ReceiverFailure()
        }
        return receiver
    }

    private func record(_ request: Request, body: Data) -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let status = state.withLock { state -> Int in
            let status = state.answers.isEmpty ? 200 : state.answers.removeFirst()
            state.received.append(Received(path: request.uri.path, headers: headers, body: body, status: status))
            return status
        }
        return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: status == 200 ? "{\"ok\":true}" : "refused")))
    }

    var port: Int { portBox.withLock { $0 } ?? 0 }
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
    var received: [Received] { state.withLock { $0.received } }

    func stop() async {
        let task = task.withLock { $0 }
        task?.cancel()
        _ = await task?.result
    }

    /// Runs `body` with a receiver, stopped whatever happens.
    static func with(answering answers: [Int] = [], _ body: (Receiver) async throws -> Void) async throws {
        let receiver = try await start(answering: answers)
        do {
            try await body(receiver)
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }
}

struct ReceiverFailure: Error, CustomStringConvertible {
    var description: String { "the receiver did not start listening" }
}
