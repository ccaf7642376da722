import Foundation
import Quill
import XCTest

/// Tensors with no elements, which safetensors allows.
final class ZeroSizedTensorTests: XCTestCase {
    func header(_ json: String, data: [UInt8]) -> [UInt8] {
        var h = Array(json.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
    }

    /// Safetensors allows tensors with no elements; one whose empty range sat at or inside another
    /// tensor's bytes was once refused as "overlapping" (at the same offset, depending on the
    /// header's order). The container reads it; a model refuses its shape.
    func testZeroSizedTensorsAreReadAndTheirShapeRefusedByTheModel() throws {
        let eight = [UInt8](repeating: 0, count: 8)
        for (name, offset) in [("a", 0), ("b", 4), ("z", 8)] {
            let json = #"{"x":{"dtype":"F32","shape":[0,5],"data_offsets":[\#(offset),\#(offset)]},"\#(name)":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
            let file = try SafeTensors(bytes: header(json, data: eight))
            XCTAssertEqual(file["x"]?.shape, [0, 5])
            XCTAssertEqual(file["x"]?.floats(), [])
        }
        var checkpoint = try StateDictTesting.checkpoint().safeTensors()
        checkpoint.set("decoder.bias", .init(shape: [0], floats: []))
        let bytes = checkpoint.serialized()
        XCTAssertThrowsError(try Checkpoint(safeTensors: try SafeTensors(bytes: bytes), path: "z")) {
            XCTAssertTrue("\($0)".contains("'decoder.bias' has shape [0]"), "\($0)")
        }
    }
}
