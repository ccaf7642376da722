import Foundation
@testable import QuillCore
import Quill
import XCTest

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensors {
        SafeTensors(tensors: [("a", .init(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])),
                              ("ids", .init(shape: [2], integers: [7, -1])),
                              ("scalar", .init(shape: [], floats: [0.5]))],
                    metadata: ["k": "v", "json": "{\"x\": 1}"])
    }

    func testRoundTrip() throws {
        let bytes = sample().serialized()
        let headerLength = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "data starts aligned")
        let read = try SafeTensors(bytes: bytes)
        XCTAssertEqual(read["a"]?.floats(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(read["a"]?.shape, [2, 3])
        XCTAssertEqual(read["ids"]?.integers(), [7, -1])
        XCTAssertEqual(read["scalar"]?.floats(), [0.5])
        XCTAssertEqual(read.metadata, ["k": "v", "json": "{\"x\": 1}"])
    }

    /// A hand-built file, header written here, checks the reader against the format rather than
    /// against our own writer.
    func file(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
    }

    func assertFails(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors(bytes: bytes, path: "x.safetensors"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
        }
    }

    func testReadsAHandWrittenFile() throws {
        let data: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64] // 1.0, 2.0 little-endian
        let read = try SafeTensors(bytes: file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: data))
        XCTAssertEqual(read["w"]?.floats(), [1, 2])
    }

    func testEveryFormatViolationIsNamed() {
        let eight = [UInt8](repeating: 0, count: 8)
        assertFails([1, 2, 3], "truncated")
        assertFails(withUnsafeBytes(of: UInt64(1000).littleEndian, Array.init) + Array("{}".utf8), "past the end")
        assertFails(file(header: "not json", data: []), "not a JSON object")
        assertFails(file(header: #"{"w":{"dtype":"Q8","shape":[2],"data_offsets":[0,8]}}"#, data: eight), "unknown dtype")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight), "needs 12 bytes")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: eight), "outside the data")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight), "shape")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: eight), "data_offsets")
        assertFails(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                         data: eight), "overlap")
        assertFails(file(header: #"{"__metadata__":{"k":1}}"#, data: []), "__metadata__")
        // Numbers that are not whole, not in range, or not numbers are refused, never truncated.
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: eight), "shape")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}}"#, data: eight), "shape")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,8]}}"#, data: eight), "shape")
        assertFails(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}"#, data: eight), "data_offsets")
        // A shape whose element count fits in Int but whose byte count does not.
        assertFails(file(header: #"{"w":{"dtype":"F64","shape":[2305843009213693952,2],"data_offsets":[0,8]}}"#, data: eight), "too large")
        assertFails(file(header: #"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, data: eight), "too large")
    }

    func testAtomicWriteFailureKeepsTheOldFile() throws {
        let path = SharedData.temporaryFolder(self) + "/m.safetensors"
        try sample().write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        var bigger = sample()
        bigger.set("big", .init(shape: [10_000], floats: [Float](repeating: 3, count: 10_000)))
        AtomicFile.failAfterBytes = 1000
        defer { AtomicFile.failAfterBytes = nil }
        XCTAssertThrowsError(try bigger.write(to: path))
        AtomicFile.failAfterBytes = nil
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try SafeTensors(contentsOf: path)["a"]?.floats(), [1, 2, 3, 4, 5, 6])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        XCTAssertEqual(leftovers, ["m.safetensors"], "no temporary file left behind")
    }

    /// `order` and `tensors` are both public: a name listed without a tensor is left out of the
    /// file rather than crashing the writer.
    func testOrderNamingNoTensorIsLeftOut() throws {
        var file = SafeTensors(tensors: [("a", .init(shape: [2], floats: [1, 2]))])
        file.order.insert("ghost", at: 0)
        let read = try SafeTensors(bytes: file.serialized())
        XCTAssertEqual(read.order, ["a"])
        XCTAssertEqual(read["a"]?.floats(), [1, 2])
    }
}
