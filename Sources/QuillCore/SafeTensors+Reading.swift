import Foundation

extension SafeTensors {
    /// Reads and checks a safetensors file.
    public init(contentsOf path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw QuillError.badCheckpoint(path: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw QuillError.badCheckpoint(path: path, problem: "is a directory, not a safetensors file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuillError.io(path: path, problem: "cannot be read")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// Parses safetensors bytes; `path` names the source in errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        func fail(_ problem: String) -> QuillError { .badCheckpoint(path: path, problem: problem) }
        guard bytes.count >= 8 else {
            throw fail("truncated: \(bytes.count) bytes, too short for a safetensors header")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        // Strictly: a header naming one tensor twice would otherwise keep either silently.
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(Array(bytes[8..<headerEnd])) } catch { throw fail("header is not a JSON object (\(error))") }
        guard let header = parsed.object else { throw fail("header is not a JSON object") }
        let dataStart = headerEnd
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [HeaderEntry] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value.object else { throw fail("__metadata__ is not a map of strings") }
                for (key, item) in map {
                    guard let text = item.string else { throw fail("__metadata__[\(key)] is not a string") }
                    metadata[key] = text
                }
                continue
            }
            entries.append(try HeaderEntry(name: name, value, dataLength: dataLength, fail: fail))
        }
        // A tensor with no elements (a dimension of 0, as safetensors allows) occupies no bytes and
        // so overlaps nothing, wherever its empty range sits; whether a model accepts its shape is
        // for the model's checks to say.
        let sorted = entries.sorted { $0.range.lowerBound < $1.range.lowerBound }
        let occupying = sorted.filter { !$0.range.isEmpty }
        for (a, b) in zip(occupying, occupying.dropFirst()) where b.range.lowerBound < a.range.upperBound {
            throw fail("tensors '\(a.name)' and '\(b.name)' overlap in the data")
        }
        var tensors: [(String, Tensor)] = []
        for entry in sorted {
            let slice = bytes[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)]
            tensors.append((entry.name, Tensor(dtype: entry.dtype, shape: entry.shape, bytes: Array(slice))))
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// One tensor's line of the header, checked against the data's length.
    private struct HeaderEntry {
        let name: String
        let dtype: DType
        let shape: [Int]
        /// Its bytes, relative to the start of the data.
        let range: Range<Int>

        init(name: String, _ value: JSONValue, dataLength: Int, fail: (String) -> QuillError) throws {
            guard let info = value.object else { throw fail("tensor '\(name)': header entry is not an object") }
            guard let dtypeName = info["dtype"]?.string, let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)': unknown dtype \(info["dtype"]?.string.map { "'\($0)'" } ?? "(missing or not a string)")")
            }
            guard case .array(let shapeValues)? = info["shape"],
                  let shape = Optional(shapeValues.compactMap(SafeTensors.exactInteger)),
                  shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)': shape is not a list of non-negative integers")
            }
            guard case .array(let offsets)? = info["data_offsets"], offsets.count == 2,
                  let begin = SafeTensors.exactInteger(offsets[0]), let end = SafeTensors.exactInteger(offsets[1]),
                  begin >= 0, end >= begin else {
                throw fail("tensor '\(name)': data_offsets is not a pair of integers [begin, end] with begin ≤ end")
            }
            guard end <= dataLength else {
                throw fail("tensor '\(name)': bytes \(begin)..<\(end) lie outside the data (\(dataLength) bytes)")
            }
            var elements = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor '\(name)': shape \(shape) is too large") }
                elements = product
            }
            let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !overflow else { throw fail("tensor '\(name)': shape \(shape) is too large") }
            guard byteCount == end - begin else {
                throw fail("tensor '\(name)': \(dtype.rawValue) shape \(shape) needs \(byteCount) bytes but data_offsets give \(end - begin)")
            }
            (self.name, self.dtype, self.shape, range) = (name, dtype, shape, begin..<end)
        }
    }

    /// A JSON number that is a whole number within Int's range, or nil: 3.5, 1e30, true and "3"
    /// are refused rather than truncated or converted.
    static func exactInteger(_ value: JSONValue) -> Int? {
        guard case .number(let number) = value else { return nil }
        return Int(exactly: number)
    }
}
