import Foundation
import XCTest

/// An empty path argument is an error, never the current folder.
extension CLITests {
    /// `quill quantize CKPT '' --to int8` once wrote ./model.safetensors.
    func testEmptyPathsAreRefused() throws {
        let text = write(String(repeating: "the keeper lit the lamp.\n", count: 40), "t.txt")
        XCTAssertEqual(try quill(["train", text, "--out", folder + "/m", "--embed", "8", "--hidden", "8", "--batch", "2",
                                  "--seq-len", "8", "--max-steps", "2", "--quiet"]).status, 0)
        assertError(try quill(["quantize", folder + "/m", "", "--to", "int8"]), status: 2, "OUT is an empty path")
        assertError(try quill(["quantize", "", folder + "/q", "--to", "int8"]), status: 2, "CHECKPOINT is an empty path")
        assertError(try quill(["export-vocab", folder + "/m", ""]), status: 2, "FILE is an empty path")
        let vocab = folder + "/v.json"
        XCTAssertEqual(try quill(["export-vocab", folder + "/m", vocab]).status, 0)
        assertError(try quill(["import", folder + "/m/model.safetensors", "--vocab", vocab, "--level", "char", "--out", ""]),
                    status: 2, "--out is an empty path")
        assertError(try quill(["import", "", "--vocab", vocab, "--level", "char", "--out", folder + "/i"]),
                    status: 2, "STATE_DICT is an empty path")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
        assertError(try quill(["generate", "", "--prompt", "the"]), status: 1, "the checkpoint path is empty")
    }
}
