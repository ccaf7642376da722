import Foundation
import Quill
import XCTest

/// The number format and separators of vectors files (`--embeddings`).
final class VectorsFileTests: XCTestCase {
    func vectors(_ text: String) throws -> PretrainedEmbeddings {
        let folder = SharedData.temporaryFolder(self)
        let path = SharedData.write(text, "vectors.txt", in: folder)
        return try PretrainedEmbeddings(path: path, vocabulary: Vocabulary(tokens: ["<pad>", "<unk>", "the", "lamp"], specialCount: 2),
                                        dimension: 2)
    }

    func testVectorsAreDecimalsSeparatedByAnyWhitespace() throws {
        // GloVe files with tabs exist, and decimal exponents are ordinary in them.
        let tabs = try vectors("the\t1e-3\t-2.5\nlamp \t .5  +3E2\r\n\n")
        XCTAssertEqual(tabs.rows[2], [0.001, -2.5])
        XCTAssertEqual(tabs.rows[3], [0.5, 300])
        XCTAssertThrowsError(try PretrainedEmbeddings(path: "", vocabulary: Vocabulary(tokens: ["a"], specialCount: 0), dimension: 2)) {
            XCTAssertTrue("\($0)".contains("path is empty"), "\($0)")
        }
        for bad in ["0x1p3", "nan", "inf", "-infinity", "1e99", "1.2.3", "e5", ".", "1e", "--1", "1_0", "٣"] {
            XCTAssertThrowsError(try vectors("the 1 \(bad)\n"), bad) {
                XCTAssertTrue("\($0)".contains("'\(bad)' is not a finite decimal number"), "\($0)")
            }
        }
    }
}
