// swift-tools-version:6.2
// 6.2 or later: SwiftPM accepts a version-pinned dependency whose targets use unsafe flags (the
// kernels' -Ounchecked and -target-cpu below) only from a manifest of tools-version 6.2 or later.
import Foundation
import PackageDescription

// MARK: - Target CPU
//
// The kernels are written with SIMD vectors and fused multiply-add. Without a target CPU that has
// FMA, `addingProduct` lowers to scalar `fmaf` calls and the GEMM runs hundreds of times slower, so
// release builds ask for a Haswell-class CPU (AVX2 + FMA) when the build machine has one.
//
//   QUILL_CPU=native    (default) Haswell flags when /proc/cpuinfo shows avx2 and fma, else portable
//   QUILL_CPU=haswell   always Haswell flags (the binary then needs AVX2 + FMA to run); any other
//                       LLVM CPU name (znver4, skylake-avx512, …) is passed through the same way
//   QUILL_CPU=portable  no CPU flags: runs on any x86-64 or arm64 machine, much slower kernels
let cpuChoice = ProcessInfo.processInfo.environment["QUILL_CPU"] ?? "native"

func buildMachineHasAVX2FMA() -> Bool {
    #if arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
    let flags = Set(info.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
    return flags.contains("avx2") && flags.contains("fma")
    #else
    return false
    #endif
}

let targetCPU: String? = switch cpuChoice {
case "native": buildMachineHasAVX2FMA() ? "haswell" : nil
case "portable": nil
default: cpuChoice
}
let cpuFlags: [String] = targetCPU.map { ["-target-cpu", $0] } ?? []

// What the chosen CPU implies, passed as conditions to the one module built without CPU flags
// (QuillCPUCheck), which the executables call first: on a machine without these the binaries say
// so in one line instead of dying of an illegal instruction.
let avx512CPUs: Set<String> = ["skylake-avx512", "cascadelake", "cooperlake", "icelake-client", "icelake-server",
                               "tigerlake", "sapphirerapids", "znver4", "znver5", "x86-64-v4"]
let requiredFeatures: [String] = switch targetCPU {
case nil: []
case let cpu? where avx512CPUs.contains(cpu): ["AVX2", "FMA", "AVX512F"]
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
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(cpuFlags + [kernelOptimization], .when(configuration: .release)),
    .unsafeFlags(cpuFlags + ["-O"], .when(configuration: .debug)),
]
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
