import Foundation
import QuillKernels
import XCTest

/// The persistent workers behind `Parallel`: every chunk runs exactly once, whether regions come
/// back to back, nest, or start from two threads at once.
final class WorkerPoolTests: XCTestCase {
    func testEveryChunkRunsOnceOverManyRegions() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for threads in [2, 3, 8] {
            Parallel.threadCount = threads
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { counts.deallocate() }
            for chunks in [2, 3, 5, 64] {
                counts.initialize(repeating: 0, count: 64)
                for _ in 0..<500 {
                    Parallel.forEach(chunks) { counts[$0] += 1 }
                }
                XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: chunks)), [Int](repeating: 500, count: chunks),
                               "\(threads) threads, \(chunks) chunks")
            }
        }
    }

    func testNestedRegionsRunInline() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        let grid = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        defer { grid.deallocate() }
        grid.initialize(repeating: 0, count: 16)
        Parallel.forEach(4) { outer in
            Parallel.forEach(4) { inner in grid[outer * 4 + inner] += outer * 4 + inner + 1 }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: grid, count: 16)), Array(1...16))
    }

    func testRegionsFromTwoThreadsAtOnce() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 8)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 16)
        let base = UInt(bitPattern: sums)
        let group = DispatchGroup()
        for caller in 0..<2 {
            group.enter()
            Thread {
                let s = UnsafeMutablePointer<Int>(bitPattern: base)! + caller * 8
                for _ in 0..<300 { Parallel.forEach(8) { s[$0] += 1 } }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: sums, count: 16)), [Int](repeating: 300, count: 16))
    }

    /// `Parallel.map` gives each index's value in order, values that own memory (arrays) included,
    /// at any thread count.
    func testMapKeepsEachResultInItsPlace() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for threads in [1, 2, 3] {
            Parallel.threadCount = threads
            for count in [0, 1, 2, 7, 40] {
                let made = Parallel.map(count) { i in [Int](repeating: i, count: i % 5) + [i * i] }
                XCTAssertEqual(made, (0..<count).map { i in [Int](repeating: i, count: i % 5) + [i * i] }, "threads \(threads), count \(count)")
            }
        }
    }
}
