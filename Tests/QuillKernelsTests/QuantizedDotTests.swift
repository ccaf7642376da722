import QuillKernels
import XCTest

/// The one-row product kernels against naive loops, at lengths that exercise every block size and
/// tail; run in release by CI, where the kernels are unchecked.
final class QuantizedDotTests: XCTestCase {
    func testFloatProductsAndFourRowsAgreeWithANaiveSumAndEachOther() {
        var rng = SeededGenerator(seed: 3)
        for count in [1, 15, 16, 17, 63, 64, 65, 256, 650, 1000] {
            let x = (0..<count).map { _ in rng.nextUniform(in: -1, 1) }
            let rows = (0..<(4 * count)).map { _ in rng.nextUniform(in: -1, 1) }
            let four = x.withUnsafeBufferPointer { xp in
                rows.withUnsafeBufferPointer { Dot.product4(xp.baseAddress!, rows: $0.baseAddress!, stride: count, count: count) }
            }
            for r in 0..<4 {
                let one = x.withUnsafeBufferPointer { xp in
                    rows.withUnsafeBufferPointer { Dot.product(xp.baseAddress!, $0.baseAddress! + r * count, count: count) }
                }
                XCTAssertEqual(four[r].bitPattern, one.bitPattern, "count \(count) row \(r): four rows must give each row's bits")
                var naive = 0.0
                for c in 0..<count { naive += Double(x[c]) * Double(rows[r * count + c]) }
                XCTAssertEqual(Double(one), naive, accuracy: 1e-5 * Double(count).squareRoot())
            }
        }
    }

    func testInt8AndBFloat16RowsInTheirLayouts() {
        var rng = SeededGenerator(seed: 8)
        for count in [1, 16, 31, 32, 33, 100, 256, 650] {
            let x = (0..<count).map { _ in rng.nextUniform(in: -1, 1) }
            var codes = [[Int]](), halves = [[UInt16]]()
            var int8Rows = [UInt8](repeating: 0, count: 4 * count), bf16Rows = [UInt16](repeating: 0, count: 4 * count)
            for r in 0..<4 {
                let q = (0..<count).map { _ in rng.nextInt(below: 255) - 127 }
                let h = (0..<count).map { _ in UInt16(truncatingIfNeeded: rng.nextUniform(in: -2, 2).bitPattern >> 16) }
                codes.append(q)
                halves.append(h)
                for c in 0..<count {
                    int8Rows[r * count + QuantizedDot.Layout.int8Position(c, count: count)] = UInt8(q[c] + 128)
                    bf16Rows[r * count + QuantizedDot.Layout.bf16Position(c, count: count)] = h[c]
                }
            }
            x.withUnsafeBufferPointer { xp in
                let x0 = xp.baseAddress!
                let int8Four = int8Rows.withUnsafeBufferPointer { QuantizedDot.product4(x0, int8: $0.baseAddress!, stride: count, count: count) }
                let bf16Four = bf16Rows.withUnsafeBufferPointer { QuantizedDot.product4(x0, bf16: $0.baseAddress!, stride: count, count: count) }
                for r in 0..<4 {
                    var naiveInt8 = 0.0, naiveBF16 = 0.0
                    for c in 0..<count {
                        naiveInt8 += Double(x[c]) * Double(codes[r][c])
                        naiveBF16 += Double(x[c]) * Double(Float(bitPattern: UInt32(halves[r][c]) << 16))
                    }
                    let int8One = int8Rows.withUnsafeBufferPointer { QuantizedDot.product(x0, int8: $0.baseAddress! + r * count, count: count) }
                    let bf16One = bf16Rows.withUnsafeBufferPointer { QuantizedDot.product(x0, bf16: $0.baseAddress! + r * count, count: count) }
                    let tolerance = 1e-4 * Double(count).squareRoot() * 127
                    XCTAssertEqual(Double(int8One), naiveInt8, accuracy: tolerance, "int8 count \(count)")
                    XCTAssertEqual(Double(int8Four[r]), naiveInt8, accuracy: tolerance, "int8 ×4 count \(count)")
                    XCTAssertEqual(Double(bf16One), naiveBF16, accuracy: 1e-4 * Double(count).squareRoot() * 2, "bf16 count \(count)")
                    XCTAssertEqual(Double(bf16Four[r]), naiveBF16, accuracy: 1e-4 * Double(count).squareRoot() * 2, "bf16 ×4 count \(count)")
                }
            }
        }
        // Every position of a row is used exactly once by each layout.
        for count in [5, 32, 48, 70] {
            XCTAssertEqual(Set((0..<count).map { QuantizedDot.Layout.int8Position($0, count: count) }), Set(0..<count))
            XCTAssertEqual(Set((0..<count).map { QuantizedDot.Layout.bf16Position($0, count: count) }), Set(0..<count))
        }
    }
}
