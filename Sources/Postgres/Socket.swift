#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `socket` has bytes (or an end-of-file) to read, without waiting.
func socketHasInput(_ socket: Int32) -> Bool {
    var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
    let ready = poll(&descriptor, 1, 0)
    return ready != 0
}

/// Waits up to `milliseconds` for input on any of `sockets`; returns those that have some.
func waitForInput(_ sockets: [Int32], milliseconds: Int32) -> [Int32] {
    var descriptors = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
    guard ready > 0 else { return [] }
    return descriptors.filter { $0.revents != 0 }.map(\.fd)
}
