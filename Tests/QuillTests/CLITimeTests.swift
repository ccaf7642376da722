import Foundation
import XCTest

/// Times on the command line: values that overflow an integer somewhere (a year is the limit)
/// are refused with one line naming the flag and the limit, at every flag that takes a time.
extension CLITests {
    static let overflowingTimes = ["1e30", "1e30s", "99999999999999999999s", "9223372036854775807s", "153722867280912930m"]

    func testOverflowingTimesAreRefusedAtEveryTimeFlag() throws {
        let text = write(String(repeating: "the keeper lit the lamp at dusk.\n", count: 40), "long.txt")
        for value in Self.overflowingTimes {
            for (command, flag) in [(["train", text], "--max-time"), (["search", text, "--out", "s"], "--budget"),
                                    (["serve", folder + "/absent.safetensors"], "--idle-timeout")] {
                let run = try quill(command + [flag, value])
                assertError(run, status: 2, flag, "8760h", value)
            }
        }
        assertError(try quill(["search", text, "--out", "s", "--budget", "2562047788015215h"]), status: 2,
                    "--budget must be at most 8760h (a year), got '2562047788015215h'")
        // One second over the limit is refused, exponent notation is not a time, like hexadecimal.
        assertError(try quill(["search", text, "--out", "s", "--budget", "8760h0m1s"]), status: 2, "--budget", "at most 8760h")
        assertError(try quill(["train", text, "--max-time", "1e3"]), status: 2, "--max-time", "digits and units")
        assertError(try quill(["train", text, "--max-time", "0x10"]), status: 2, "--max-time", "digits and units")
        // The limit itself is a time.
        XCTAssertEqual(try quill(["train", text, "--max-time", "8760h", "--max-steps", "1", "--hidden", "8", "--embed", "4",
                                  "--batch", "4", "--seq-len", "8", "--quiet", "--out", folder + "/year"]).status, 0)
    }
}
