import Foundation
import Quill
import XCTest

/// One vocabulary validator for every path that reads a vocabulary: a checkpoint's metadata,
/// `quill import`, `--vocab` on the fly, and what export-vocab writes.
final class VocabularyValidationTests: XCTestCase {
    func assertRefused(_ body: @autoclosure () throws -> Any, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertTrue(error is QuillError, "\(error)", line: line)
            for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line) }
        }
    }

    func testCharacterVocabulariesHoldOneCharacterPerToken() throws {
        let folder = SharedData.temporaryFolder(self)
        XCTAssertThrowsError(try Vocabulary(file: "", level: .char)) { XCTAssertTrue("\($0)".contains("the vocabulary path is empty"), "\($0)") }
        let json = SharedData.write(#"["<pad>", "<unk>", "a", "ab"]"#, "v.json", in: folder)
        assertRefused(try Vocabulary(file: json, level: .char), "v.json", "token 3", "a character vocabulary")
        XCTAssertEqual(try Vocabulary(file: json, level: .word).count, 4)
        let lines = SharedData.write((0..<84).map { "x\($0)\n" }.joined(), "v.txt", in: folder)
        assertRefused(try Vocabulary(file: lines, level: .char), "v.txt", "token 0", "(x0)")
        // Specials may sit anywhere in a PyTorch vocabulary; one scalar of any plane is a character.
        let mixed = SharedData.write("a\n<unk>\né\n日\n😀\n<eos>\n", "mixed.txt", in: folder)
        XCTAssertEqual(try Vocabulary(file: mixed, level: .char).unknownID, 1)
        // Loading a state dict with --vocab reads the file the same way.
        try StateDictTesting.stateDict().write(to: folder + "/dict.safetensors")
        let long = SharedData.write(#"["<pad>", "<unk>", "a", "ab", "c", "d"]"#, "long.json", in: folder)
        assertRefused(try LoadedModel(path: folder + "/dict.safetensors", vocabularyFile: long, level: .char), "long.json", "token 3", "2 characters")
        // Leading specials count as specials in both forms, so export and re-import agree.
        let lead = SharedData.write("<pad>\n<unk>\na\n", "lead.txt", in: folder)
        XCTAssertEqual(try Vocabulary(file: lead, level: .char).specialCount, 2)
    }

    /// A checkpoint whose metadata holds an empty token once loaded in info, generate and
    /// perplexity while import refused it; all paths now use one validator.
    func testACheckpointIsHeldToTheSameVocabularyRules() throws {
        let checkpoint = try StateDictTesting.checkpoint()
        func withTokens(_ tokens: [String], specials: Int = 2) -> SafeTensors {
            var file = checkpoint.safeTensors()
            let text = try! JSONSerialization.data(withJSONObject: ["specials": specials, "tokens": tokens], options: [.sortedKeys])
            file.metadata["quill.vocabulary"] = String(decoding: text, as: UTF8.self)
            return file
        }
        XCTAssertNoThrow(try Checkpoint(safeTensors: withTokens(StateDictTesting.characters), path: "ok"))
        assertRefused(try Checkpoint(safeTensors: withTokens(["<pad>", "<unk>", "a", "", "c", "d"]), path: "empty"), "quill.vocabulary", "token 3 is empty")
        assertRefused(try Checkpoint(safeTensors: withTokens(["<pad>", "<unk>", "a", "bb", "c", "d"]), path: "long"), "token 3", "2 characters")
        assertRefused(try Checkpoint(safeTensors: withTokens(["<pad>", "x", "a", "b", "c", "d"]), path: "specials"), "token 1", "special")
        // Through the file, as generate and perplexity load it.
        let folder = SharedData.temporaryFolder(self)
        try withTokens(["<pad>", "<unk>", "a", "", "c", "d"]).write(to: folder + "/model.safetensors")
        assertRefused(try LoadedModel(path: folder), "is empty")
    }

    /// What export-vocab writes reads back as the same vocabulary, specials included, in both forms.
    func testExportedVocabulariesReadBackTheSame() throws {
        let folder = SharedData.temporaryFolder(self)
        let words = try Vocabulary(tokens: ["<pad>", "<unk>", "<eos>", "the", "lamp", "É"], specialCount: 3)
        for (name, text) in [("w.json", words.jsonArrayText()), ("w.txt", words.lineFileText())] {
            XCTAssertEqual(try Vocabulary(file: SharedData.write(text, name, in: folder), level: .word), words, name)
        }
        let characters = try Vocabulary(tokens: ["<pad>", "<unk>", "\n", " ", "a", "é"], specialCount: 2)
        XCTAssertEqual(try Vocabulary(file: SharedData.write(characters.jsonArrayText(), "c.json", in: folder), level: .char), characters)
    }
}
