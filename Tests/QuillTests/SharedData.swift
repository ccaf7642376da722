import Foundation
import XCTest

/// Locates `../shared` (fixtures and corpora) beside the repository, or skips the test with a
/// message saying what is missing.
enum SharedData {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")

    static func fixture(_ name: String) throws -> String {
        try require(shared.appendingPathComponent("fixtures/\(name)").path)
    }

    static func corpus(_ relative: String) throws -> String {
        try require(shared.appendingPathComponent("corpora/\(relative)").path)
    }

    private static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("needs \(path), which is absent: put the shared/ folder (fixtures, corpora) beside the repository")
        }
        return path
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// Writes `text` to `folder/name` and returns the path.
    static func write(_ text: String, _ name: String, in folder: String) -> String {
        let path = folder + "/" + name
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
