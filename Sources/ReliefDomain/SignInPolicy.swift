/// When repeated failed sign-ins lock an account, and for how long: the lock doubles with
/// each further failure, so guessing gets slow fast but a user who mistypes is not shut out
/// for long.
public struct SignInPolicy: Sendable {
    /// Failures allowed before the first lock.
    public var freeAttempts: Int
    public var firstLockSeconds: Int
    public var longestLockSeconds: Int

    public init(freeAttempts: Int = 5, firstLockSeconds: Int = 60, longestLockSeconds: Int = 3600) {
        self.freeAttempts = freeAttempts
        self.firstLockSeconds = firstLockSeconds
        self.longestLockSeconds = longestLockSeconds
    }

    /// Seconds to lock the account after `failures` consecutive failures, or nil for no lock.
    public func lockSeconds(afterFailures failures: Int) -> Int? {
        guard failures >= freeAttempts else { return nil }
        let doublings = min(failures - freeAttempts, 30)
        return min(firstLockSeconds << doublings, longestLockSeconds)
    }

    /// Rules for new passwords: at least 10 characters, not all of one kind.
    public static func problem(withNewPassword password: String) -> String? {
        guard password.count >= 10 else { return "密码至少需要10个字符" }
        guard password.utf8.count <= 72 else { return "密码过长（最多72字节）" }
        let kinds = [password.contains(where: \.isLetter), password.contains(where: \.isNumber),
                     password.contains { !$0.isLetter && !$0.isNumber }].filter { $0 }.count
        guard kinds >= 2 else { return "密码需包含字母、数字、符号中的至少两类" }
        return nil
    }
}
