import Foundation
import Quill
import QuillKernels
import XCTest

/// A seeded fuzzer over the time reader: strings built from digits, units, signs, points,
/// exponents, hexadecimal, spaces and huge numbers. Each either reads as a time within the limit
/// that prints and reads back to itself (to the printed precision), or is refused; never a trap.
/// The seed and case number are in every failure message.
final class TimeFuzzTests: XCTestCase {
    static let seed: UInt64 = 20_261_206
    static let cases = 4_000

    static let pieces = ["0", "1", "5", "9", "10", "59", "60", "90", "3600", "8760", "8761", "525600", "31536000",
                         "31536001", "99999999999999999999", "9223372036854775807", String(repeating: "9", count: 400),
                         "h", "m", "s", "h", "m", "s", ".", ".5", "-", "+", "e", "e30", "E", "0x", "0x10", "p3", " ", "\t",
                         "inf", "nan", "d", "ms", "µs", "١"]

    func testTimesReadWithinTheLimitOrAreRefused() {
        var rng = SeededGenerator(seed: Self.seed)
        var outcomes = [0, 0] // read, refused
        for index in 0..<Self.cases {
            var text = ""
            for _ in 0...rng.nextInt(below: 5) { text += Self.pieces[rng.nextInt(below: Self.pieces.count)] }
            let label = "seed \(Self.seed) case \(index): '\(text)'"
            guard let seconds = TimeSpan.seconds(text), TimeSpan.problem(seconds) == nil else {
                outcomes[1] += 1
                continue
            }
            outcomes[0] += 1
            XCTAssertTrue(seconds > 0 && seconds <= TimeSpan.maximumSeconds, label)
            let printed = TimeSpan.text(seconds)
            guard let again = TimeSpan.seconds(printed) else { XCTFail("\(label): printed '\(printed)' does not read back"); continue }
            // Hours print to the minute, shorter times to the second.
            XCTAssertLessThanOrEqual(abs(again - seconds), seconds >= 3599.5 ? 60 : 0.5, "\(label): printed '\(printed)'")
        }
        XCTAssertGreaterThan(outcomes[0], Self.cases / 20, "seed \(Self.seed): too few strings read as times")
        XCTAssertGreaterThan(outcomes[1], Self.cases / 4, "seed \(Self.seed): too few strings refused")
    }
}
