import Foundation

/// A response with a complete body, or the head of a streamed one.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body.
    public static func json(_ status: Int, _ object: Any) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: jsonBytes(object) + [0x0A])
    }

    /// `object` as compact JSON with sorted keys (`{}` if it is not representable).
    public static func jsonBytes(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    /// A JSON error in the OpenAI style: `{"error": {"message", "type", "param"}}`.
    public static func error(_ status: Int, _ message: String, field: String? = nil) -> HTTPResponse {
        var error: [String: Any] = ["message": message, "type": status >= 500 ? "server_error" : "invalid_request_error"]
        error["param"] = field ?? NSNull()
        return json(status, ["error": error])
    }

    /// Status line and headers (with Content-Length unless `streaming` or 204, which may not carry
    /// one, and Connection: close: every connection serves one request).
    public func head(streaming: Bool = false) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !streaming && status != 204 { text += "Content-Length: \(body.count)\r\n" }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    /// The whole response.
    public var bytes: [UInt8] { head() + body }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}
