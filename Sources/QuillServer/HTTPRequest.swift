/// One parsed HTTP/1.x request.
public struct HTTPRequest: Sendable, Equatable {
    /// The method, as sent (methods are case-sensitive).
    public var method: String
    /// The path, without the query.
    public var path: String
    /// The query after `?`, if any.
    public var query: String?
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    /// Header fields in order, names in lower case.
    public var headers: [(name: String, value: String)]
    /// The body (Content-Length bytes).
    public var body: [UInt8]

    /// The first value of a header (`name` in lower case).
    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    public static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
        a.method == b.method && a.path == b.path && a.query == b.query && a.version == b.version && a.body == b.body
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}
