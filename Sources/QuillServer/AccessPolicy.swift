import Glibc

/// Who may use the server, decided from a request's headers before it is routed. A page in the
/// user's browser can send requests to any address, including 127.0.0.1, so being on loopback
/// keeps out other machines but not other web sites:
/// - On a loopback bind only Host headers naming a loopback address or `localhost` are served: a
///   DNS-rebinding page reaches the server under its own domain name, and its Host says so.
/// - A cross-origin request (an `Origin` other than the server's own, `http://` and the Host it was
///   reached by) is refused unless its origin is listed; listed origins get their CORS preflights
///   answered and `Access-Control-Allow-Origin` on their replies.
/// - With an API key, the API routes (`/v1/…`) need `Authorization: Bearer KEY`.
public struct AccessPolicy: Sendable {
    /// Whether only loopback names are accepted in Host (for a server bound to loopback).
    public let loopbackHostsOnly: Bool
    /// The origins other than its own whose browser requests are served, normalised (lower case,
    /// no default port).
    public let allowedOrigins: Set<String>
    private let apiKey: [UInt8]?

    /// Whether the API routes need the key.
    public var requiresKey: Bool { apiKey != nil }

    /// The paths that need the key when there is one (the page and the health check do not).
    static let keyedPrefix = "/v1/"

    /// A policy; throws `ServerError` naming an origin that is not `scheme://host[:port]`, or an
    /// API key that is empty or holds characters a header cannot carry as one token.
    public init(loopbackHostsOnly: Bool, allowedOrigins: [String] = [], apiKey: String? = nil) throws(ServerError) {
        var origins = Set<String>()
        for origin in allowedOrigins {
            guard let normal = Self.normalisedOrigin(origin) else { throw .invalidOrigin(origin) }
            origins.insert(normal)
        }
        if let apiKey {
            guard !apiKey.isEmpty else { throw .emptyAPIKey }
            // Printable ASCII without spaces: a header value is trimmed and split at spaces.
            guard apiKey.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .apiKeyCharacters(length: apiKey.utf8.count) }
        }
        self.loopbackHostsOnly = loopbackHostsOnly
        self.allowedOrigins = origins
        self.apiKey = apiKey.map { Array($0.utf8) }
    }

    private init(unchecked loopbackHostsOnly: Bool) {
        self.loopbackHostsOnly = loopbackHostsOnly
        allowedOrigins = []
        apiKey = nil
    }

    /// Loopback Host names only, same-origin browser requests only, no key: what a server bound to
    /// loopback needs, and the default.
    public static var loopbackOnly: AccessPolicy { AccessPolicy(unchecked: true) }

    /// Whether `address` (IPv4, dotted) is in 127.0.0.0/8.
    public static func isLoopback(address: String) -> Bool {
        HostHeader.ipv4(address)?.first == 127
    }

    /// What to do with a request.
    public enum Decision: Sendable {
        /// Route it, adding these headers to every response (CORS headers for an allowed origin).
        case proceed(headers: [(String, String)])
        /// Send this response instead (a refusal, or the answer to a preflight).
        case answer(HTTPResponse)
    }

    /// Decides what happens to `request`.
    public func decide(_ request: HTTPRequest) -> Decision {
        let hosts = request.headers.filter { $0.name == "host" }.map(\.value)
        if hosts.count > 1 { return .answer(.error(400, "more than one Host header")) }
        if hosts.isEmpty && request.version == "HTTP/1.1" { return .answer(.error(400, "an HTTP/1.1 request needs a Host header")) }
        if loopbackHostsOnly, let host = hosts.first, !HostHeader.namesLoopback(host) {
            return .answer(.error(403, "Host '\(host)' does not name this server: it is bound to loopback and answers only "
                                      + "to localhost and loopback addresses"))
        }
        let origins = request.headers.filter { $0.name == "origin" }.map(\.value)
        if origins.count > 1 { return .answer(.error(400, "more than one Origin header")) }
        var cors: [(String, String)] = []
        if let origin = origins.first, !isSameOrigin(origin, host: hosts.first) {
            guard let normal = Self.normalisedOrigin(origin), allowedOrigins.contains(normal) else {
                return .answer(.error(403, "cross-origin requests from '\(origin)' are not allowed"))
            }
            cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        }
        if request.method == "OPTIONS", request.header("access-control-request-method") != nil {
            return .answer(preflight(cors))
        }
        if let apiKey, request.path.hasPrefix(Self.keyedPrefix), !Self.authorizes(request, key: apiKey) {
            var refusal = HTTPResponse.error(401, "this server needs an API key: send 'Authorization: Bearer KEY'")
            refusal.headers += [("WWW-Authenticate", "Bearer")] + cors
            return .answer(refusal)
        }
        return .proceed(headers: cors)
    }

    /// The answer to a CORS preflight from an allowed origin (`cors` holds its headers), or from
    /// the server's own origin, which browsers do not preflight and needs nothing.
    private func preflight(_ cors: [(String, String)]) -> HTTPResponse {
        guard !cors.isEmpty else { return HTTPResponse(status: 204) }
        return HTTPResponse(status: 204, headers: cors + [("Access-Control-Allow-Methods", "GET, POST"),
                                                          ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
                                                          ("Access-Control-Max-Age", "600")])
    }

    /// Whether `origin` is `http://` and the Host the request came by.
    private func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let own = Self.normalisedOrigin("http://" + host) else { return false }
        return Self.normalisedOrigin(origin) == own
    }

    /// `scheme://host[:port]` in lower case without the scheme's default port, or nil when `text`
    /// is not an origin of that form (a path, query, user or empty host).
    static func normalisedOrigin(_ text: String) -> String? {
        let lower = text.lowercased()
        let schemes = ["http://": ":80", "https://": ":443"]
        guard let (scheme, defaultPort) = schemes.first(where: { lower.hasPrefix($0.key) }) else { return nil }
        let authority = String(lower.dropFirst(scheme.count))
        guard HostHeader.split(authority) != nil else { return nil }
        return scheme + (authority.hasSuffix(defaultPort) ? String(authority.dropLast(defaultPort.count)) : authority)
    }

    /// Whether the request carries exactly one `Authorization: Bearer KEY` with this key, compared
    /// in time that does not depend on how much of it matches.
    static func authorizes(_ request: HTTPRequest, key: [UInt8]) -> Bool {
        let values = request.headers.filter { $0.name == "authorization" }.map(\.value)
        guard values.count == 1 else { return false }
        let parts = values[0].split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let given = Array(parts[1].drop(while: { $0 == " " }).utf8)
        var difference = UInt8(given.count == key.count ? 0 : 1)
        for i in 0..<key.count { difference |= key[i] ^ (i < given.count ? given[i] : 0) }
        return difference == 0
    }
}
