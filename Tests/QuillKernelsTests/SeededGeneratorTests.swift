import QuillKernels
import XCTest

final class SeededGeneratorTests: XCTestCase {
    func testSameSeedSameStreamDifferentSeedDifferentStream() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let sa = (0..<100).map { _ in a.next() }, sb = (0..<100).map { _ in b.next() }, sc = (0..<100).map { _ in c.next() }
        XCTAssertEqual(sa, sb)
        XCTAssertNotEqual(sa, sc)
    }

    /// The generator is exactly xoshiro256** (Blackman and Vigna) seeded by splitmix64: its outputs
    /// from the state (1, 2, 3, 4) are the reference implementation's, and seed 7 gives the state
    /// and outputs of an independent implementation (a few lines of Python, rerun to check).
    func testMatchesReferenceXoshiro256StarStar() {
        var fixed = SeededGenerator(state: (1, 2, 3, 4))
        XCTAssertEqual((0..<6).map { _ in fixed.next() },
                       [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360, 607_988_272_756_665_600])
        var seeded = SeededGenerator(seed: 7)
        XCTAssertTrue(seeded.state == (0x63CB_E1E4_5932_0DD7, 0x044C_3CD7_F43C_661C, 0xE698_4080_BAB1_2A02, 0x953A_EB70_673E_29CB))
        XCTAssertEqual((0..<3).map { _ in seeded.next() },
                       [12_923_355_070_828_475_994, 5_142_052_590_334_782_674, 15_488_392_906_492_639_638])
    }

    func testRestoringStateContinuesTheStream() {
        var a = SeededGenerator(seed: 3)
        for _ in 0..<17 { _ = a.next() }
        var b = SeededGenerator(state: a.state)
        XCTAssertEqual((0..<50).map { _ in a.next() }, (0..<50).map { _ in b.next() })
    }

    /// Moments of 200,000 draws; the bounds are about six standard errors wide.
    func testDistributions() {
        var rng = SeededGenerator(seed: 99)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, minimum: Float = 1, maximum: Float = 0
        for _ in 0..<n {
            let u = rng.nextUniform()
            minimum = min(minimum, u); maximum = max(maximum, u)
            sum += Double(u); sumSq += Double(u) * Double(u)
        }
        XCTAssertGreaterThanOrEqual(minimum, 0)
        XCTAssertLessThan(maximum, 1)
        XCTAssertEqual(sum / Double(n), 0.5, accuracy: 6 * (1 / 12.0).squareRoot() / Double(n).squareRoot())
        XCTAssertEqual(sumSq / Double(n) - pow(sum / Double(n), 2), 1 / 12.0, accuracy: 0.002)

        var normalSum = 0.0, normalSq = 0.0
        for _ in 0..<n {
            let z = Double(rng.nextNormal())
            normalSum += z; normalSq += z * z
        }
        XCTAssertEqual(normalSum / Double(n), 0, accuracy: 6 / Double(n).squareRoot())
        XCTAssertEqual(normalSq / Double(n), 1, accuracy: 0.02)

        let hits = (0..<n).filter { _ in rng.nextBernoulli(0.3) }.count
        XCTAssertEqual(Double(hits) / Double(n), 0.3, accuracy: 6 * (0.21 / Double(n)).squareRoot())

        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.nextInt(below: 7)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 600) }
    }
}
