/// A check that holds in every build. The kernels are compiled with `-Ounchecked` in release
/// (worth 7–20% of a training step, measured with `quill-bench train` against a
/// `QUILL_CHECKED_KERNELS=1` build), which drops `precondition` and array bounds checks; the
/// checks at the kernels' boundaries use this instead, because `fatalError` is never dropped.
@inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
