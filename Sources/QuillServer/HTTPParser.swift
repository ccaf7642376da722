/// Reads one HTTP/1.x request from bytes as they arrive, within limits: the request line and
/// headers together at most `maximumHeaderBytes`, the body at most `maximumBodyBytes`. Anything
/// malformed or outside the limits ends in an error carrying the status to answer with. Only what
/// this server needs is accepted: origin-form targets, Content-Length bodies (no chunked uploads),
/// no obsolete line folding.
public struct HTTPParser {
    /// Why a request cannot be served, with the status to answer.
    public struct Failure: Error, Equatable, Sendable {
        public let status: Int
        public let message: String
    }

    /// What `parse` found.
    public enum Result: Equatable {
        /// More bytes are needed.
        case incomplete
        /// A whole request, and how many bytes of the input it used.
        case complete(HTTPRequest, consumed: Int)
        /// A request that will not be served.
        case failed(Failure)
    }

    public let maximumHeaderBytes: Int
    public let maximumBodyBytes: Int

    /// A parser with these limits.
    public init(maximumHeaderBytes: Int = 8192, maximumBodyBytes: Int = 65536) {
        self.maximumHeaderBytes = maximumHeaderBytes
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Parses the bytes received so far (from the start of the request).
    public func parse(_ bytes: [UInt8]) -> Result {
        // The head ends at the first empty line (CRLF CRLF, or LF LF from lenient clients).
        guard let (headEnd, bodyStart) = Self.endOfHead(bytes, limit: maximumHeaderBytes) else {
            return bytes.count > maximumHeaderBytes
                ? .failed(Failure(status: 431, message: "request headers exceed \(maximumHeaderBytes) bytes")) : .incomplete
        }
        if headEnd > maximumHeaderBytes {
            return .failed(Failure(status: 431, message: "request headers exceed \(maximumHeaderBytes) bytes"))
        }
        var lines = Self.lines(bytes[0..<headEnd])
        guard !lines.isEmpty else { return .failed(Failure(status: 400, message: "empty request")) }
        let requestLine = lines.removeFirst()
        var request: HTTPRequest
        switch Self.requestLine(requestLine) {
        case .success(let r): request = r
        case .failure(let f): return .failed(f)
        }
        for line in lines {
            guard let first = line.first else { continue }
            if first == 0x20 || first == 0x09 {
                return .failed(Failure(status: 400, message: "obsolete header line folding is not accepted"))
            }
            guard let colon = line.firstIndex(of: 0x3A) else {
                return .failed(Failure(status: 400, message: "a header line without a colon"))
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
                return .failed(Failure(status: 400, message: "a header name with characters a name cannot hold"))
            }
            var value = line[(colon + 1)...]
            while let c = value.first, c == 0x20 || c == 0x09 { value = value.dropFirst() }
            while let c = value.last, c == 0x20 || c == 0x09 { value = value.dropLast() }
            guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                return .failed(Failure(status: 400, message: "a header value with control characters"))
            }
            request.headers.append((String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
        }
        if request.header("transfer-encoding") != nil {
            return .failed(Failure(status: 501, message: "Transfer-Encoding is not supported; send a Content-Length"))
        }
        let lengths = request.headers.filter { $0.name == "content-length" }.map(\.value)
        var length = 0
        if let text = lengths.first {
            guard Set(lengths).count == 1, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return .failed(Failure(status: 400, message: "Content-Length must be one decimal number"))
            }
            // More digits than any allowed body has is too large, however many there are.
            guard text.count <= 18, let n = Int(text), n <= maximumBodyBytes else {
                return .failed(Failure(status: 413, message: "the body exceeds \(maximumBodyBytes) bytes"))
            }
            length = n
        }
        guard bytes.count - bodyStart >= length else { return .incomplete }
        request.body = Array(bytes[bodyStart..<(bodyStart + length)])
        return .complete(request, consumed: bodyStart + length)
    }

    /// Where the head ends (before the empty line) and the body starts, if the empty line is in
    /// the first `limit` + 4 bytes.
    static func endOfHead(_ bytes: [UInt8], limit: Int) -> (Int, Int)? {
        let end = min(bytes.count, limit + 4)
        var i = 0
        while i < end {
            if bytes[i] == 0x0A {
                if i + 1 < bytes.count && bytes[i + 1] == 0x0A { return (i, i + 2) }
                if i + 2 < bytes.count && bytes[i + 1] == 0x0D && bytes[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// The head's lines, without their CR LF or LF.
    static func lines(_ head: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
    }

    static func requestLine(_ line: ArraySlice<UInt8>) -> Swift.Result<HTTPRequest, Failure> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte), !parts[1].isEmpty else {
            return .failure(Failure(status: 400, message: "the request line must be METHOD TARGET HTTP/1.1"))
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.hasPrefix("HTTP/") else {
            return .failure(Failure(status: 400, message: "the request line must be METHOD TARGET HTTP/1.1"))
        }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .failure(Failure(status: 505, message: "only HTTP/1.0 and HTTP/1.1 are served"))
        }
        let target = parts[1]
        guard target.first == 0x2F, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(Failure(status: 400, message: "the target must be a path starting with /"))
        }
        let text = String(decoding: target, as: UTF8.self)
        let pieces = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return .success(HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), path: String(pieces[0]),
                                    query: pieces.count > 1 ? String(pieces[1]) : nil, version: version, headers: [], body: []))
    }

    /// RFC 9110 token characters.
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }
}
