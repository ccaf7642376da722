/// What the kernels were compiled for, for callers whose choices depend on the speed it gives
/// (the time-budget recipe's pace).
public enum KernelTarget {
    /// Whether this is an AVX-512 build (`QUILL_AVX512`, set by Package.swift for such a target
    /// CPU): its GEMM runs 6×32 tiles and a training step about 1.5–1.7 times as fast as an AVX2
    /// build's on the same machine (docs/performance.md).
    #if QUILL_AVX512
    public static let avx512 = true
    #else
    public static let avx512 = false
    #endif
}
