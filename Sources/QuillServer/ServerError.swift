import Glibc

/// Why a server cannot start. Each case names the value that was refused, not the setting a
/// caller took it from; a command-line tool adds its own flag advice.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The host is not an IPv4 address in dotted form.
    case notIPv4(host: String)
    /// The port is outside 0…65535.
    case portOutOfRange(Int)
    /// The system gave no socket.
    case noSocket(reason: String)
    /// The address is taken, not this machine's, or needs privileges.
    case cannotBind(host: String, port: Int, reason: String)
    /// The bound socket cannot accept connections.
    case cannotListen(host: String, port: Int, reason: String)
    /// An origin to allow is not `scheme://host[:port]` with scheme http or https.
    case invalidOrigin(String)
    /// The API key is empty.
    case emptyAPIKey
    /// The API key holds spaces, control characters or non-ASCII (it is not repeated here: it is a secret).
    case apiKeyCharacters(length: Int)

    public var description: String {
        switch self {
        case .notIPv4(let host): return "host '\(host)' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)"
        case .portOutOfRange(let port): return "port \(port) is outside 0…65535"
        case .noSocket(let reason): return "cannot open a socket: \(reason)"
        case .cannotBind(let host, let port, let reason): return "cannot bind \(host):\(port): \(reason)"
        case .cannotListen(let host, let port, let reason): return "cannot listen on \(host):\(port): \(reason)"
        case .invalidOrigin(let origin):
            return "origin '\(origin)' is not of the form scheme://host[:port] with scheme http or https (e.g. http://localhost:3000)"
        case .emptyAPIKey: return "the API key is empty"
        case .apiKeyCharacters(let length):
            return "the API key (\(length) bytes) must be printable ASCII without spaces"
        }
    }

    /// The text of the current `errno`.
    static var systemReason: String { String(cString: strerror(errno)) }
}
