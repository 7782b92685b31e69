/// Why a repository refused a request: each maps to one 4xx answer. Repositories check what
/// they can before writing, so a refusal changes nothing.
public enum StoreFailure: Error, Equatable, Sendable {
    /// The user's roles do not allow this; `why` says which role would.
    case forbidden(String)
    /// No such record in the county, or one the user may not see: the two answer alike.
    case notFound
    case invalid(String)
    /// The record's state or a uniqueness rule does not allow this now.
    case conflict(String)
    /// The case, assignment or task is in a state that does not allow the action; `allowed`
    /// lists the actions that state does allow (their API names).
    case notAllowed(state: String, action: String, allowed: [String])
    /// Too many requests from one client; try again after this many seconds.
    case tooManyRequests(retryAfter: Int)
}
