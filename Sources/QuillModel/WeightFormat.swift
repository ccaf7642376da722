
/// How weight matrices are stored for generation and scoring. Training is always float32.
public enum WeightFormat: String, Sendable, CaseIterable, Codable {
    /// float32, as trained.
    case f32
    /// bfloat16: float32's upper 16 bits, rounded to nearest even (8 exponent bits, 8 of mantissa).
    case bf16
    /// int8 with one float32 scale per row: row values q·s, q in −127…127, s = max|row| / 127.
    case int8

    /// Bytes per stored weight.
    public var bytesPerWeight: Int {
        switch self {
        case .f32: return 4
        case .bf16: return 2
        case .int8: return 1
        }
    }
}
