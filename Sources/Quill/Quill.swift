// The library a Swift user imports: `import Quill` brings every public layer, from text and
// models to training and search (docs/architecture.md draws them). The kernels stay apart
// (`import QuillKernels` for SIMD products and the thread count).
@_exported import QuillCore
@_exported import QuillText
@_exported import QuillModel
@_exported import QuillCheckpoint
@_exported import QuillInference
@_exported import QuillTraining
@_exported import QuillSearch
