import Foundation
import Glibc

/// A small HTTP/1.1 server on a TCP socket: one request per connection (answered with
/// `Connection: close`), each connection on its own thread, everything bounded (see `Limits`).
/// `route` turns a request into a response written through a `Connection`.
public final class HTTPServer: @unchecked Sendable {
    /// What one client may use.
    public struct Limits: Sendable {
        /// Request line and headers.
        public var headerBytes = 8192
        /// Request body.
        public var bodyBytes = 65536
        /// Seconds a connection may stay silent while its request arrives.
        public var idleSeconds = 10.0
        /// Seconds a request may take to arrive in full, however it trickles.
        public var requestSeconds = 30.0
        /// Connections served at once; more are answered 503 and closed.
        public var connections = 64

        public init() {}
    }

    /// The address actually bound (the port is chosen by the system when 0 was asked).
    public let host: String
    public let port: Int
    public let limits: Limits
    private let listener: Int32
    private let lock = NSLock()
    private var open = 0
    private let route: @Sendable (HTTPRequest, Connection) -> Void

    /// Binds and listens on `host` (an IPv4 address) and `port`; throws a message when it cannot.
    public init(host: String, port: Int, limits: Limits = Limits(), route: @escaping @Sendable (HTTPRequest, Connection) -> Void) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ServerError("--host \(host) is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ServerError("cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.host = host
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.limits = limits
        self.listener = fd
        self.route = route
    }

    deinit { close(listener) }

    /// Accepts connections until `shouldStop` answers true (asked several times a second), then
    /// waits up to `drainSeconds` for the connections in progress.
    public func run(shouldStop: () -> Bool, drainSeconds: Double = 5) {
        while !shouldStop() {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            lock.lock()
            let admitted = open < limits.connections
            if admitted { open += 1 }
            lock.unlock()
            let connection = Connection(fd: client)
            guard admitted else {
                connection.send(HTTPResponse.error(503, "too many connections; try again shortly").bytes)
                connection.close()
                continue
            }
            Thread.detachNewThread { [self] in
                serve(connection)
                lock.lock()
                open -= 1
                lock.unlock()
            }
        }
        let deadline = Date().addingTimeInterval(drainSeconds)
        while openConnections > 0 && Date() < deadline { usleep(20_000) }
    }

    /// Connections being served.
    public var openConnections: Int {
        lock.lock(); defer { lock.unlock() }
        return open
    }

    private func serve(_ connection: Connection) {
        defer { connection.close() }
        connection.setReceiveTimeout(limits.idleSeconds)
        let parser = HTTPParser(maximumHeaderBytes: limits.headerBytes, maximumBodyBytes: limits.bodyBytes)
        let start = Date()
        var received: [UInt8] = []
        while true {
            switch parser.parse(received) {
            case .complete(let request, _):
                route(request, connection)
                return
            case .failed(let failure):
                connection.send(HTTPResponse.error(failure.status, failure.message).bytes)
                return
            case .incomplete:
                guard Date().timeIntervalSince(start) < limits.requestSeconds, let chunk = connection.receive() else {
                    // A silent or dead client; one that sent part of a request is told why.
                    if !received.isEmpty { connection.send(HTTPResponse.error(408, "the request did not arrive in time").bytes) }
                    return
                }
                received += chunk
            }
        }
    }
}

/// One client socket.
public final class Connection: @unchecked Sendable {
    let fd: Int32
    private var closed = false
    /// A write failed: the client has gone.
    public private(set) var broken = false

    init(fd: Int32) { self.fd = fd }

    func setReceiveTimeout(_ seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
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
                broken = true
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

    func close() {
        guard !closed else { return }
        closed = true
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

/// A server that cannot start.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
