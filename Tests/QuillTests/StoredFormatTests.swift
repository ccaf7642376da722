import Foundation
import Quill
import XCTest

/// A quantized file's tensors decide how it is read; metadata that says otherwise is refused.
final class StoredFormatTests: XCTestCase {
    func assertRefused(_ file: SafeTensors, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint(safeTensors: file, path: "q"), line: line) { error in
            XCTAssertTrue(error is QuillError, "\(error)", line: line)
            for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line) }
        }
    }

    /// An int8 file labelled bf16 was rounded to bf16 a second time when generating (4.064255
    /// for 4.064318); now it is refused, naming both formats.
    func testMetadataThatDisagreesWithTheTensorsIsRefused() throws {
        let checkpoint = try StateDictTesting.checkpoint()
        var int8 = checkpoint.safeTensors(storing: .int8)
        int8.metadata["quill.weights"] = "bf16"
        assertRefused(int8, "quill.weights", "bf16", "int8", "I8")
        var bf16 = checkpoint.safeTensors(storing: .bf16)
        bf16.metadata["quill.weights"] = "int8"
        assertRefused(bf16, "says int8", "bf16")
        var plain = checkpoint.safeTensors()
        plain.metadata["quill.weights"] = "bf16"
        assertRefused(plain, "says bf16", "f32")
        var unknown = checkpoint.safeTensors(storing: .bf16)
        unknown.metadata["quill.weights"] = "fp8"
        assertRefused(unknown, "'fp8'")
    }

    func testTheTensorsDecideWhenTheMetadataIsSilent() throws {
        let checkpoint = try StateDictTesting.checkpoint()
        for format in WeightFormat.allCases {
            var file = checkpoint.safeTensors(storing: format)
            file.metadata["quill.weights"] = nil
            let loaded = try Checkpoint(safeTensors: file, path: "q")
            XCTAssertEqual(loaded.storedFormat, format)
            // And a model loaded from it computes with exactly the stored values (no second rounding).
            let stored = try Checkpoint(safeTensors: checkpoint.safeTensors(storing: format), path: "q").makeModel()
            XCTAssertEqual(try loaded.makeModel().values("encoder.weight"), stored.values("encoder.weight"), "\(format)")
        }
    }

    func testMatricesStoredTwoWaysAreRefused() throws {
        var file = try StateDictTesting.checkpoint().safeTensors(storing: .bf16)
        let floats = file["rnn.weight_hh_l1"]!.floats()!
        file.set("rnn.weight_hh_l1", .init(shape: file["rnn.weight_hh_l1"]!.shape, floats: floats))
        assertRefused(file, "two ways", "'rnn.weight_hh_l1'")
    }
}
