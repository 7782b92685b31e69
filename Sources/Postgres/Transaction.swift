/// How much a transaction sees of others running at the same time (PostgreSQL's levels).
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PostgresConnection {
    /// Runs `body` in a transaction: committed when `body` returns, rolled back when it throws
    /// (also when the task is cancelled).
    ///
    /// If `body` caught a statement's error and returned anyway, the server has already failed
    /// the transaction: the COMMIT then rolls back, and this throws
    /// `PostgresError.transactionRolledBack` rather than pretend the work was saved.
    ///
    /// - Parameter role: the role the transaction acts as (`SET ROLE`); nil for the user the
    ///   connection logged in as. The session keeps acting as it after the commit, so that
    ///   the next transaction acting as the same role takes it without a switch; anything run
    ///   outside such a transaction goes back to the login user first.
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        actingAs role: String? = nil,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let target = SessionRole(role)
        let begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")"
        // The switch, when one is needed, travels with the BEGIN: no round trip of its own.
        // Checked, decided and recorded inside the connection's gate, where no other task
        // sharing the connection can come between the decision and the statement.
        let switches = try await run(restoringLoginUser: false) { handle in
            guard handle.transactionStatus == .idle else {
                throw PostgresError.misuse("transaction() inside a transaction; use savepoint() to nest")
            }
            let switches = self.beginSwitch(to: target)
            do {
                _ = try await handle.executeScript(switches ? "\(begin); \(target.switchSQL)" : begin)
            } catch {
                // The BEGIN went through but the switch failed (no such role, say).
                if handle.transactionStatus != .idle { _ = try? await handle.executeScript("ROLLBACK") }
                throw error
            }
            return switches
        }
        let value: T
        do {
            value = try await body(self)
        } catch {
            await rollback()
            throw error
        }
        let commit = try await run(cancellable: false, restoringLoginUser: false) { handle in
            // A body that ended the transaction itself leaves no switch of ours to commit.
            let open = handle.transactionStatus == .inTransaction
            let commit = try await handle.executeScript("COMMIT")
            if switches, open, commit.commandTag == "COMMIT" { self.endSwitch(to: target) }
            return commit
        }
        if commit.commandTag == "ROLLBACK" {
            throw PostgresError.transactionRolledBack
        }
        return value
    }

    /// Runs `body` under a savepoint inside the current transaction: an error thrown by `body`
    /// undoes only what `body` did, and the transaction can go on.
    public func savepoint<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        guard isInTransaction else {
            throw PostgresError.misuse("savepoint() outside a transaction")
        }
        let name = quoteIdentifier(nextSavepointName())
        try await executeScript("SAVEPOINT \(name)")
        do {
            let value = try await body(self)
            try await executeScript("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            _ = try? await run(cancellable: false) { try await $0.executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)") }
            throw error
        }
    }

    /// Rolls back, even when the task was cancelled; a connection where this fails is broken
    /// and is discarded by its pool.
    func rollback() async {
        _ = try? await run(cancellable: false) { try await $0.executeScript("ROLLBACK") }
    }
}
