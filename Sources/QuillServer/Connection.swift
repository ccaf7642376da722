import Glibc
import Quill
import Synchronization

/// One client socket. The thread that serves the request writes to it; the server's accept loop
/// and a generation's disconnect checks may look at its flags from elsewhere, so they live in a lock.
public final class Connection: Sendable {
    let fd: Int32

    /// What has happened to the socket.
    private struct State {
        /// `close` ran: the descriptor may already belong to another file.
        var closed = false
        /// A write failed: the client has gone.
        var broken = false
    }

    private let state = Mutex(State())

    init(fd: Int32) { self.fd = fd }

    /// A write failed: the client has gone.
    public var broken: Bool { state.withLock { $0.broken } }

    func setReceiveTimeout(_ seconds: Double) {
        // `HTTPServer` checks its limits; bounding here too keeps the conversion from trapping
        // (and a timeout of 0, which the system reads as "never", from being set).
        let bounded = seconds.isFinite ? min(max(seconds, 0.001), TimeSpan.maximumSeconds) : TimeSpan.maximumSeconds
        let whole = bounded.rounded(.down)
        var timeout = timeval(tv_sec: Int(whole), tv_usec: Int((bounded - whole) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next bytes, or nil at end of stream, on error or after the receive timeout.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
        return n > 0 ? Array(buffer[0..<n]) : nil
    }

    /// Writes all of `bytes`; false (and `broken`) when the client has gone.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        guard !broken else { return false }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                state.withLock { $0.broken = true }
                return false
            }
            offset += n
        }
        return true
    }

    /// Whether the client has closed its end (checked without waiting).
    public var peerClosed: Bool {
        if broken { return true }
        var probe: UInt8 = 0
        let n = recv(fd, &probe, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Shuts the socket down and closes it, once: a second close could close a descriptor the
    /// system has since given to another connection.
    func close() {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
