/// How a block of op(A)'s rows is cut into micro-panels: 6-row panels, and a tail of 4-row panels
/// where that avoids computing padding rows (32 = 6·4 + 4 + 4, 20 = 6·2 + 4 + 4, 16 = 6·2 + 4,
/// 10 = 6 + 4). Panel p is stored at p·6·kc in the packed block, zero-padded to six rows, whatever
/// its height; panels of four rows or fewer go to the 4-row kernel (4×16, or 4×32 in an AVX-512 build).
struct RowPanels {
    /// Full 6-row panels first.
    let sixes: Int
    /// Heights of up to two tail panels (0 when absent).
    let tail0: Int, tail1: Int

    init(height m: Int) {
        var sixes = m / GEMM.mr
        var tail0 = 0, tail1 = 0
        switch m % GEMM.mr {
        case 0: break
        case 1 where sixes > 0: sixes -= 1; tail0 = 4; tail1 = 3
        case 2 where sixes > 0: sixes -= 1; tail0 = 4; tail1 = 4
        case let r: tail0 = r
        }
        self.sixes = sixes
        self.tail0 = tail0
        self.tail1 = tail1
    }

    var count: Int { sixes + (tail0 > 0 ? 1 : 0) + (tail1 > 0 ? 1 : 0) }

    /// First row of panel `p`.
    @inline(__always)
    func start(_ p: Int) -> Int {
        p <= sixes ? p * GEMM.mr : sixes * GEMM.mr + tail0
    }

    /// Rows in panel `p`.
    @inline(__always)
    func height(_ p: Int) -> Int {
        p < sixes ? GEMM.mr : (p == sixes ? tail0 : tail1)
    }
}
