/// Loads and stores of up to eight floats as one `VectorMath.Vector`, for loops over a length that
/// need not be a multiple of eight: a partial tail is padded with zeros on load and only its own
/// lanes are written back, so every element goes through the same lane arithmetic.
enum Lanes {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ count: Int) -> VectorMath.Vector {
        if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: VectorMath.Vector.self) }
        var v = VectorMath.Vector()
        for l in 0..<count { v[l] = p[l] }
        return v
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> VectorMath.Vector {
        load(UnsafePointer(p), count)
    }

    @inline(__always)
    static func store(_ v: VectorMath.Vector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: VectorMath.Vector.self)
            return
        }
        for l in 0..<count { p[l] = v[l] }
    }
}
