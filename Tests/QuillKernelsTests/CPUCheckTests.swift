import QuillCPUCheck
import XCTest

final class CPUCheckTests: XCTestCase {
    let zen3 = "processor\t: 0\nflags\t\t: fpu sse sse2 avx f16c fma bmi2 avx2 vaes\nbugs\t\t: sysret_ss_attrs\n"
    let oldCPU = "processor\t: 0\nflags\t\t: fpu sse sse2 sse4_2 avx\n"

    func testMissingFeaturesAreNamed() {
        XCTAssertEqual(CPUCheck.missing(required: ["avx2", "fma"], cpuinfo: zen3), [])
        XCTAssertEqual(CPUCheck.missing(required: ["avx2", "fma", "avx512f"], cpuinfo: zen3), ["avx512f"])
        XCTAssertEqual(CPUCheck.missing(required: ["avx2", "fma"], cpuinfo: oldCPU), ["avx2", "fma"])
        // "avx" must not count as "avx2", nor a prefix of a longer flag.
        XCTAssertEqual(CPUCheck.missing(required: ["avx5"], cpuinfo: "flags : avx512f\n"), ["avx5"])
    }

    func testNoFlagsLineMeansNoVerdict() {
        XCTAssertEqual(CPUCheck.missing(required: ["avx2"], cpuinfo: "model name : Apple M2\n"), [])
        XCTAssertEqual(CPUCheck.missing(required: ["avx2"], cpuinfo: ""), [])
    }

    /// This machine runs the test suite, so whatever the build requires, it has.
    func testThisMachineRunsTheBuild() {
        XCTAssertNil(CPUCheck.problem())
    }
}
