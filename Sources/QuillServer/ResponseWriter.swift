/// Writes a request's responses to its connection with the headers the access policy gave it
/// (CORS headers for an allowed origin) added to each, so no route can forget them.
struct ResponseWriter {
    let connection: Connection
    /// Added to every response head.
    let headers: [(String, String)]

    /// Sends a whole response; false when the client has gone.
    @discardableResult
    func send(_ response: HTTPResponse) -> Bool {
        var response = response
        response.headers += headers
        return connection.send(response.bytes)
    }

    /// Sends the head of a streamed response (its body follows through `stream`).
    func sendHead(_ response: HTTPResponse) -> Bool {
        var response = response
        response.headers += headers
        return connection.send(response.head(streaming: true))
    }

    /// Sends more of a streamed body.
    @discardableResult
    func stream(_ bytes: [UInt8]) -> Bool { connection.send(bytes) }

    /// Whether the client has closed its end.
    var peerClosed: Bool { connection.peerClosed }
}
