@testable import QuillCLI
import XCTest

/// What the tool prints for times and rates never traps, whatever a run or a hand-edited search
/// log holds.
final class FormatTests: XCTestCase {
    func testCountsRatesAndTimesOfAnySizePrint() {
        XCTAssertEqual(Format.count(1_234_567), "1,234,567")
        XCTAssertEqual(Format.count(Int.min), "-9,223,372,036,854,775,808")
        XCTAssertEqual(Format.count(12_345.4), "12,345")
        for rate in [1e30, -1e30, .infinity, .nan] { XCTAssertEqual(Format.count(rate), "?", "\(rate)") }
        XCTAssertEqual(Format.duration(1e30), "?")
        XCTAssertEqual(Format.duration(3725), "1h02m")
    }
}
