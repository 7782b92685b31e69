import Foundation
import Synchronization

/// Counties found by division code, each kept for `lifetime`. Only found counties are kept,
/// so a county created a moment ago is never missed.
final class CountyCache: Sendable {
    private struct Entry {
        let county: (id: UUID, name: String)
        let expires: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    subscript(code: String) -> (id: UUID, name: String)? {
        get {
            entries.withLock { entries in
                guard let entry = entries[code], entry.expires > .now else { return nil }
                return entry.county
            }
        }
        set {
            guard let newValue else { return }
            entries.withLock { entries in
                if entries.count > 10_000 { entries.removeAll() }
                entries[code] = Entry(county: newValue, expires: .now + lifetime)
            }
        }
    }
}
