import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 server on a TCP socket: one request per connection (answered with
/// `Connection: close`), each connection on its own thread, everything bounded (see `Limits`).
/// `route` turns a request into a response written through a `Connection`.
public final class HTTPServer: Sendable {
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
        /// Connections served at once from one peer address; more from it are answered 503 and
        /// closed, so one client cannot hold every slot.
        public var connectionsPerClient = 16

        public init() {}
    }

    /// The address actually bound (the port is chosen by the system when 0 was asked).
    public let host: String
    public let port: Int
    public let limits: Limits
    private let listener: Int32
    /// Connections being served, in all and by peer address (IPv4, network order).
    private struct Occupancy {
        var total = 0
        var byPeer: [UInt32: Int] = [:]
    }

    /// The accept loop counts connections in, their threads count them out.
    private let open = Mutex(Occupancy())
    private let route: @Sendable (HTTPRequest, Connection) -> Void

    /// Binds and listens on `host` (an IPv4 address) and `port` (0: any free port); throws a
    /// `ServerError` naming the address when it cannot.
    public init(host: String, port: Int, limits: Limits = Limits(), route: @escaping @Sendable (HTTPRequest, Connection) -> Void) throws {
        try limits.validate()
        guard (0...65535).contains(port) else { throw ServerError.portOutOfRange(port) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw ServerError.notIPv4(host: host) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError.noSocket(reason: ServerError.systemReason) }
        do {
            try Self.listen(fd, on: address, host: host, port: port)
        } catch {
            close(fd)
            throw error
        }
        self.host = host
        self.port = Self.boundPort(fd)
        self.limits = limits
        self.listener = fd
        self.route = route
    }

    private static func listen(_ fd: Int32, on address: sockaddr_in, host: String, port: Int) throws(ServerError) {
        var address = address
        var yes: Int32 = 1
        // A restarted server may bind at once, while the old one's connections linger in TIME_WAIT.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw .cannotBind(host: host, port: port, reason: ServerError.systemReason) }
        guard Glibc.listen(fd, 128) == 0 else { throw .cannotListen(host: host, port: port, reason: ServerError.systemReason) }
    }

    /// The port `fd` is bound to (the one the system chose when 0 was asked).
    private static func boundPort(_ fd: Int32) -> Int {
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: actual.sin_port))
    }

    deinit { close(listener) }

    /// Accepts connections until `shouldStop` answers true (asked several times a second), then
    /// waits up to `drainSeconds` for the connections in progress.
    public func run(shouldStop: () -> Bool, drainSeconds: Double = 5) {
        while !shouldStop() {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            guard client >= 0 else { continue }
            let address = peer.sin_addr.s_addr
            let connection = Connection(fd: client)
            if let refusal = admit(address) {
                connection.send(HTTPResponse.error(503, refusal).bytes)
                connection.close()
                continue
            }
            Thread.detachNewThread { [self] in
                serve(connection)
                leave(address)
            }
        }
        let deadline = Date().addingTimeInterval(drainSeconds)
        while openConnections > 0 && Date() < deadline { usleep(20_000) }
    }

    /// Connections being served.
    public var openConnections: Int {
        open.withLock { $0.total }
    }

    /// Counts in a connection from `peer`, or says why it is refused: all slots taken, or all of
    /// those one client may hold.
    private func admit(_ peer: UInt32) -> String? {
        open.withLock { occupancy in
            guard occupancy.total < limits.connections else { return "too many connections; try again shortly" }
            let held = occupancy.byPeer[peer, default: 0]
            guard held < limits.connectionsPerClient else {
                return "too many connections from your address (\(held) open); try again shortly"
            }
            occupancy.total += 1
            occupancy.byPeer[peer] = held + 1
            return nil
        }
    }

    /// Counts out a connection `admit` counted in.
    private func leave(_ peer: UInt32) {
        open.withLock { occupancy in
            occupancy.total -= 1
            let held = occupancy.byPeer[peer, default: 1] - 1
            occupancy.byPeer[peer] = held > 0 ? held : nil
        }
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
