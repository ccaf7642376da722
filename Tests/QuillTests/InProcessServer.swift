import Foundation
import Glibc
import Quill
import QuillKernels
import QuillServer
import XCTest

/// A `quill serve` server in this process on 127.0.0.1 and a free port, over a small untrained
/// character model (lower-case letters, space, `.`, `,` and newline), with raw exchanges to it.
final class InProcessServer {
    let server: HTTPServer
    let service: CompletionService
    private let stopping = ServerTests.Flag()
    private let finished = DispatchSemaphore(value: 0)

    var port: Int { server.port }

    init(access: AccessPolicy = .loopbackOnly, limits: HTTPServer.Limits = HTTPServer.Limits()) throws {
        let tokens = ["<pad>", "<unk>"] + "abcdefghijklmnopqrstuvwxyz .,\n".map { String($0) }
        let vocabulary = try Vocabulary(tokens: tokens, specialCount: 2)
        let network = try Network(config: ModelConfig(vocabularySize: tokens.count, embeddingSize: 8, hiddenSize: 16, layers: 1))
        var rng = SeededGenerator(seed: 3)
        network.initialize(rng: &rng)
        let generator = Generator(loaded: LoadedModel(model: network.snapshot(), vocabulary: vocabulary, level: .char),
                                  sampler: try Sampler())
        service = CompletionService(generator: generator, modelName: "test", maximumTokens: 64, capacity: 4)
        let api = CompletionAPI(service: service, description: ["level": "char"], access: access)
        server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits, route: { api.handle($0, $1) })
        let server = self.server, stopping = self.stopping, finished = self.finished
        Thread.detachNewThread {
            server.run(shouldStop: { stopping.isSet })
            finished.signal()
        }
    }

    /// Stops the server; false if it did not stop within 20 s.
    func stop() -> Bool {
        stopping.set()
        return finished.wait(timeout: .now() + 20) == .success
    }

    /// A socket connected to the server from `source` (any address in 127.0.0.0/8), or nil.
    func connect(from source: String = "127.0.0.1") -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in(), remote = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let ok = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0 && withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        guard ok else {
            close(fd)
            return nil
        }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends `raw`, ends the sending side (so a request cut short is answered at once rather than
    /// after the idle timeout), and reads the whole answer; nil if the connection failed.
    func exchange(_ raw: [UInt8], from source: String = "127.0.0.1") -> [UInt8]? {
        guard let fd = connect(from: source) else { return nil }
        defer { close(fd) }
        _ = raw.withUnsafeBytes { send(fd, $0.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) }
        shutdown(fd, Int32(SHUT_WR))
        return Self.readAll(fd)
    }

    /// Everything `fd` receives until the other end closes.
    static func readAll(_ fd: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
            if n <= 0 { return received }
            received += buffer[0..<n]
        }
    }

    /// A request with these headers (and a Content-Length for a body), answered and read.
    func request(_ method: String, _ path: String, headers: [(String, String)], body: String? = nil,
                 from source: String = "127.0.0.1") -> ServerTests.Reply? {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
        guard let answer = exchange(Array((head + "\r\n" + (body ?? "")).utf8), from: source) else { return nil }
        return ServerTests.Reply(parsing: answer)
    }
}
