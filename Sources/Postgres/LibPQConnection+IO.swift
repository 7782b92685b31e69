import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// The non-blocking side of libpq: send, then wait through the event loop, never on the thread.
/// These run on the issuing task's thread, alone on the connection (see "Asynchronous Command
/// Processing" in libpq's manual).
extension LibPQConnection {
    private var eventLoop: PostgresEventLoop {
        guard let loop else { preconditionFailure("a connection without an event loop cannot wait without blocking") }
        return loop
    }

    var errorMessage: String {
        String(cString: PQerrorMessage(pointer)).trimmingTrailingNewlines()
    }

    func lost() -> Error {
        PostgresError.connectionLost(reason: errorMessage)
    }

    /// Sends what libpq still holds. The server may answer (a notice, an error) while we send,
    /// so input is read meanwhile: a server blocked on its own full socket would never read ours.
    nonisolated(nonsending) func flush() async throws {
        while true {
            switch PQflush(pointer) {
            case 0:
                return
            case 1:
                let ready = await eventLoop.wait(for: Int16(POLLIN | POLLOUT), on: socket)
                if ready & Int16(POLLIN | POLLHUP | POLLERR) != 0, PQconsumeInput(pointer) == 0 { throw lost() }
            default:
                throw lost()
            }
        }
    }

    /// The running command's next result; nil once it has no more.
    nonisolated(nonsending) func nextResult() async throws -> OpaquePointer? {
        if PQisBusy(pointer) == 1 { try await receive() }
        return PQgetResult(pointer)
    }

    /// Waits until the server has sent a whole result, which `PQgetResult` then returns
    /// without blocking.
    ///
    /// Reads once before waiting, as pgbench does after each send: a statement's send wakes its
    /// server process, which on a busy machine often runs, answers and sleeps again before this
    /// thread continues. The answer is then read at once, without a suspension, a resumption
    /// and a share of a `poll`; when it is not there yet, the read costs one refused `recv`.
    /// At 16 connections on two cores this took the select from about 0.85× pgbench to about
    /// 1.0× (session 15).
    nonisolated(nonsending) private func receive() async throws {
        guard PQconsumeInput(pointer) == 1 else { throw lost() }
        guard PQisBusy(pointer) == 1 else { return }
        repeat {
            _ = await eventLoop.wait(for: Int16(POLLIN), on: socket)
            guard PQconsumeInput(pointer) == 1 else { throw lost() }
        } while PQisBusy(pointer) == 1
    }

    /// Completes a command that `sent` (a PQsend… call's return) started: sends it and gathers
    /// its results as PQexec does, the first error, else the last result.
    nonisolated(nonsending) func finishCommand(sent: Int32) async throws -> PostgresResult {
        guard sent == 1 else { throw brokenOr(PostgresError.unexpectedResult(errorMessage)) }
        // Awaited only when the statement did not go out at once: an await costs even when
        // nothing waits, and this runs for every statement.
        switch PQflush(pointer) {
        case 0: break
        case 1: try await flush()
        default: throw lost()
        }
        var kept: OpaquePointer?
        do {
            // Only a busy connection is awaited: the results that follow the first are there.
            while true {
                if PQisBusy(pointer) == 1 { try await receive() }
                guard let result = PQgetResult(pointer) else { break }
                let status = PQresultStatus(result)
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                    PQclear(result)
                    try await abandonCopy(status)
                    throw PostgresError.misuse("COPY runs through copyIn(_:), not query(_:)")
                }
                if let previous = kept, PQresultStatus(previous) == PGRES_FATAL_ERROR {
                    PQclear(result)
                } else {
                    if let previous = kept { PQclear(previous) }
                    kept = result
                }
            }
        } catch {
            if let kept { PQclear(kept) }
            throw error
        }
        return try check(kept)
    }

    /// Ends a COPY the caller started by mistake, leaving the connection usable.
    nonisolated(nonsending) private func abandonCopy(_ status: ExecStatusType) async throws {
        if status == PGRES_COPY_IN {
            try await endCopyData(abortReason: "COPY is not supported through query()")
        } else {
            var buffer: UnsafeMutablePointer<CChar>?
            while true {
                let got = PQgetCopyData(pointer, &buffer, 1)
                if let data = buffer { PQfreemem(data) }
                buffer = nil
                if got > 0 { continue }
                if got < 0 { break }
                _ = await eventLoop.wait(for: Int16(POLLIN), on: socket)
                guard PQconsumeInput(pointer) == 1 else { throw lost() }
            }
        }
        while let result = try await nextResult() { PQclear(result) }
    }

    // MARK: COPY FROM STDIN

    nonisolated(nonsending) func startCopy(_ sql: String) async throws {
        guard PQsendQuery(pointer, sql) == 1 else { throw brokenOr(PostgresError.unexpectedResult(errorMessage)) }
        try await flush()
        guard let result = try await nextResult() else { throw lost() }
        guard PQresultStatus(result) == PGRES_COPY_IN else {
            while let extra = try await nextResult() { PQclear(extra) }
            _ = try check(result)  // throws the server's error
            throw PostgresError.misuse("copyIn needs a COPY … FROM STDIN statement")
        }
        PQclear(result)
    }

    nonisolated(nonsending) func putCopyData(_ chunk: [UInt8]) async throws {
        while true {
            let queued = chunk.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(pointer, $0.baseAddress, Int32($0.count)) }
            }
            if queued == 1 { break }
            guard queued == 0 else { throw lost() }
            try await flush()  // libpq's buffer is full: let the server take some first
        }
        try await flush()
    }

    /// Ends the COPY (or aborts it with a reason) and returns its outcome.
    nonisolated(nonsending) func endCopy(abortReason: String?) async throws -> PostgresResult {
        try await endCopyData(abortReason: abortReason)
        var outcome: Result<PostgresResult, Error> = .failure(PostgresError.unexpectedResult("COPY returned no result"))
        while let result = try await nextResult() {
            outcome = Result { try check(result) }
        }
        return try outcome.get()
    }

    nonisolated(nonsending) private func endCopyData(abortReason: String?) async throws {
        while true {
            let ended = PQputCopyEnd(pointer, abortReason)
            if ended == 1 { break }
            guard ended == 0 else { throw lost() }
            try await flush()
        }
        try await flush()
    }
}
