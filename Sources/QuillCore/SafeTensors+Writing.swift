import Foundation

extension SafeTensors {
    /// The file's bytes: header (padded with spaces to a multiple of 8 so the data is aligned),
    /// then the tensors in `order`, back to back. A name in `order` without a tensor (both are
    /// public and may disagree) is left out.
    public func serialized() -> [UInt8] {
        let written = order.compactMap { name in tensors[name].map { (name, $0) } }
        var header: [String: Any] = [:]
        var offset = 0
        for (name, tensor) in written {
            header[name] = [
                "dtype": tensor.dtype.rawValue,
                "shape": tensor.shape,
                "data_offsets": [offset, offset + tensor.bytes.count],
            ] as [String: Any]
            offset += tensor.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for (_, tensor) in written { out.append(contentsOf: tensor.bytes) }
        return out
    }

    /// Writes the file atomically (see `AtomicFile`).
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }
}
