// swift-tools-version:6.2
// 6.2 or later: SwiftPM accepts a version-pinned dependency whose targets use unsafe flags (the
// kernels' -Ounchecked and -target-cpu below) only from a manifest of tools-version 6.2 or later.
import Foundation
import PackageDescription

// MARK: - Target CPU
//
// The kernels are written with SIMD vectors and fused multiply-add. Without a target CPU that has
// FMA, `addingProduct` lowers to scalar `fmaf` calls and the GEMM runs hundreds of times slower, so
// release builds ask for a Haswell-class CPU (AVX2 + FMA) when the build machine has one, and for a
// Zen 4 (AVX-512) when it is an AMD processor with AVX-512: there the GEMM's tile doubles in width
// and a training step ran 1.5–1.7 times faster on this project's Zen 5 (docs/performance.md).
//
//   QUILL_CPU=native    (default) znver4 flags on an AMD CPU whose /proc/cpuinfo shows Zen 4's
//                       AVX-512 extensions, else Haswell flags when it shows avx2 and fma, else
//                       portable
//   QUILL_CPU=haswell   always Haswell flags (the binary then needs AVX2 + FMA to run); any other
//                       LLVM CPU name (znver4, skylake-avx512, …) is passed through the same way
//   QUILL_CPU=portable  no CPU flags: runs on any x86-64 or arm64 machine, much slower kernels
let cpuChoice = ProcessInfo.processInfo.environment["QUILL_CPU"] ?? "native"

/// The build machine's CPU flags and vendor, as /proc/cpuinfo names them (empty off x86-64 Linux).
func buildMachineCPU() -> (flags: Set<String>, amd: Bool) {
    #if arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return ([], false) }
    let words = info.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    return (Set(words), words.contains("AuthenticAMD"))
    #else
    return ([], false)
    #endif
}

/// AVX-512 extensions that every Zen 4 and later has and that set it apart from AMD's AVX2 CPUs;
/// the check (QuillCPUCheck) requires the same set of a znver4 binary. The target enables more
/// (cd, ifma, vbmi2, vnni, bitalg, vpopcntdq, gfni, vaes, …), which every such CPU also has.
let zen4Extensions: Set<String> = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512vbmi", "avx512_bf16"]

func nativeTargetCPU() -> String? {
    let cpu = buildMachineCPU()
    guard cpu.flags.contains("avx2") && cpu.flags.contains("fma") else { return nil }
    return cpu.amd && zen4Extensions.isSubset(of: cpu.flags) ? "znver4" : "haswell"
}

let targetCPU: String? = switch cpuChoice {
case "native": nativeTargetCPU()
case "portable": nil
default: cpuChoice
}
let cpuFlags: [String] = targetCPU.map { ["-target-cpu", $0] } ?? []

// What the chosen CPU implies, passed as conditions to the one module built without CPU flags
// (QuillCPUCheck), which the executables call first: on a machine without these the binaries say
// so in one line instead of dying of an illegal instruction. (`x86-64-v4` is not among the names:
// the Swift compiler's C importer rejects it as a target CPU.)
let avx512CPUs: Set<String> = ["skylake-avx512", "cascadelake", "cooperlake", "icelake-client", "icelake-server",
                               "tigerlake", "sapphirerapids", "znver4", "znver5"]
let avx512Target = targetCPU.map { avx512CPUs.contains($0) } ?? false
let requiredFeatures: [String] = switch targetCPU {
case nil: []
case "znver4", "znver5": ["AVX2", "FMA", "AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512VBMI", "AVX512_BF16"]
case _ where avx512Target: ["AVX2", "FMA", "AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL"]
case "x86-64", "x86-64-v2", "nehalem", "westmere", "sandybridge", "ivybridge": []
default: ["AVX2", "FMA"]
}
let cpuCheckSettings: [SwiftSetting] = requiredFeatures.map { .define("QUILL_REQUIRES_\($0)", .when(configuration: .release)) }

// Kernels run unchecked in release: their bounds are proven by the callers' shape checks, and the
// tests run them in release as well as debug. QUILL_CHECKED_KERNELS=1 keeps Swift's checks in a
// release build (for hunting a bug, or measuring what the checks cost). Debug builds optimise the
// kernels too (with checks kept): unoptimised SIMD code is a hundred times slower, which would
// make the test suite crawl.
let kernelOptimization = ProcessInfo.processInfo.environment["QUILL_CHECKED_KERNELS"] == "1" ? "-O" : "-Ounchecked"
// QUILL_AVX512 widens the GEMM's register tile to two AVX-512 registers a row (`GEMM.nr` = 32).
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(cpuFlags + [kernelOptimization], .when(configuration: .release)),
    .unsafeFlags(cpuFlags + ["-O"], .when(configuration: .debug)),
] + (avx512Target ? [.define("QUILL_AVX512")] : [])
let librarySettings: [SwiftSetting] = [
    .unsafeFlags(cpuFlags, .when(configuration: .release)),
]
// The executables only parse, print and call the library, and must start on any CPU far enough to
// run the check, so they get no CPU flags.


// MARK: - Package

let package = Package(
    name: "Quill",
    products: [
        .library(name: "Quill", targets: ["Quill"]),
        .library(name: "QuillKernels", targets: ["QuillKernels"]),
        .executable(name: "quill", targets: ["QuillCLI"]),
        .executable(name: "quill-bench", targets: ["QuillBench"]),
    ],
    targets: [
        // Layers, each using only those before it (docs/architecture.md): kernels, core, text,
        // model, checkpoint, inference, training, search; `Quill` re-exports them all. CI builds
        // with --explicit-target-dependency-import-check, so an import not declared here fails.
        .target(name: "QuillKernels", swiftSettings: kernelSettings),
        .target(name: "QuillCore", swiftSettings: librarySettings),
        .target(name: "QuillText", dependencies: ["QuillKernels", "QuillCore"], swiftSettings: librarySettings),
        .target(name: "QuillModel", dependencies: ["QuillKernels", "QuillCore"], swiftSettings: librarySettings),
        .target(name: "QuillCheckpoint", dependencies: ["QuillCore", "QuillText", "QuillModel"], swiftSettings: librarySettings),
        .target(name: "QuillInference", dependencies: ["QuillKernels", "QuillCore", "QuillText", "QuillModel", "QuillCheckpoint"],
                swiftSettings: librarySettings),
        .target(name: "QuillTraining", dependencies: ["QuillKernels", "QuillCore", "QuillText", "QuillModel", "QuillCheckpoint",
                                                      "QuillInference"], swiftSettings: librarySettings),
        .target(name: "QuillSearch", dependencies: ["QuillKernels", "QuillCore", "QuillText", "QuillModel", "QuillCheckpoint",
                                                    "QuillTraining"],
                swiftSettings: librarySettings),
        .target(name: "Quill", dependencies: ["QuillCore", "QuillText", "QuillModel", "QuillCheckpoint", "QuillInference",
                                              "QuillTraining", "QuillSearch"]),
        // On top: the server, the executables and the one module built without CPU flags.
        .target(name: "QuillCPUCheck", swiftSettings: cpuCheckSettings),
        .target(name: "QuillServer", dependencies: ["Quill"]),
        .executableTarget(name: "QuillCLI", dependencies: ["Quill", "QuillServer", "QuillCPUCheck"]),
        .executableTarget(name: "QuillBench", dependencies: ["Quill", "QuillKernels", "QuillCPUCheck"]),
        .testTarget(name: "QuillKernelsTests", dependencies: ["QuillKernels", "QuillCPUCheck"]),
        .testTarget(name: "QuillTests", dependencies: ["Quill", "QuillCore", "QuillText", "QuillModel", "QuillCheckpoint",
                                                   "QuillInference", "QuillTraining", "QuillSearch", "QuillKernels",
                                                   "QuillServer", "QuillCLI"]),
    ]
)
