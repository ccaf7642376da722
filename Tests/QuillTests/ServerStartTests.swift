import Glibc
import QuillServer
import XCTest

/// Why `HTTPServer` cannot start, said in terms of the address it was given: the library names the
/// value it refused and leaves flag advice to the command-line tool.
final class ServerStartTests: XCTestCase {
    func start(host: String = "127.0.0.1", port: Int) throws -> HTTPServer {
        try HTTPServer(host: host, port: port, route: { _, connection in connection.send(HTTPResponse(status: 200).bytes) })
    }

    /// The error `start` throws, or a failure when it starts.
    func refusal(host: String = "127.0.0.1", port: Int, file: StaticString = #filePath, line: UInt = #line) -> ServerError? {
        do {
            _ = try start(host: host, port: port)
            XCTFail("\(host):\(port) was accepted", file: file, line: line)
        } catch let error as ServerError {
            XCTAssertFalse(error.description.contains("--"), "no flag names: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("not a ServerError: \(error)", file: file, line: line)
        }
        return nil
    }

    func testAHostThatIsNotAnIPv4AddressIsNamed() {
        for host in ["nohost", "localhost", "::1", "256.1.1.1", ""] {
            XCTAssertEqual(refusal(host: host, port: 0), .notIPv4(host: host))
        }
        XCTAssertEqual(ServerError.notIPv4(host: "nohost").description, "host 'nohost' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)")
    }

    /// A port that does not fit in 16 bits is refused rather than trapping in the conversion.
    func testAPortOutsideSixteenBitsIsRefused() {
        for port in [-1, 65536, Int.max] {
            XCTAssertEqual(refusal(port: port), .portOutOfRange(port))
        }
        XCTAssertEqual(ServerError.portOutOfRange(70000).description, "port 70000 is outside 0…65535")
    }

    func testAPortInUseNamesTheAddressAndTheSystemsReason() throws {
        let first = try start(port: 0)
        XCTAssertGreaterThan(first.port, 0, "the system chose a port")
        let error = try XCTUnwrap(refusal(port: first.port))
        guard case .cannotBind(let host, let port, let reason) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(host, "127.0.0.1")
        XCTAssertEqual(port, first.port)
        XCTAssertEqual(reason, String(cString: strerror(EADDRINUSE)))
        XCTAssertEqual(error.description, "cannot bind 127.0.0.1:\(first.port): \(reason)")
    }
}
