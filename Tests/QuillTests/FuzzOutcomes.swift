import Quill
import XCTest

/// What the seeded fuzz tests count: a case whose check returns was accepted, one refused with a
/// typed `QuillError` was refused, and any other error fails the test naming the case (its label
/// carries the seed and case index). Each test then asserts that both outcomes occurred often
/// enough for the mutations to reach the code under test.
struct FuzzOutcomes {
    private(set) var accepted = 0
    private(set) var refused = 0

    /// Runs one case's `check`, counting how it ended.
    mutating func record(_ label: String, file: StaticString = #filePath, line: UInt = #line, _ check: () throws -> Void) {
        do {
            try check()
            accepted += 1
        } catch is QuillError {
            refused += 1
        } catch {
            XCTFail("\(label): untyped error \(type(of: error)): \(error)", file: file, line: line)
        }
    }
}
