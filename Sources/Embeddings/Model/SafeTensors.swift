import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a `.safetensors` file: an 8-byte little-endian header length,
/// a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": …}`
/// and the tensor bytes. The file is memory-mapped once; every entry is checked
/// (dtype size × shape == byte length, offsets inside the data section) before any
/// tensor is handed out.
final class SafeTensors {
    enum DType: String, Sendable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

        var byteSize: Int {
            switch self {
            case .f64, .i64, .u64: 8
            case .f32, .i32, .u32: 4
            case .f16, .bf16, .i16, .u16: 2
            case .f8e4m3, .f8e5m2, .i8, .u8, .bool: 1
            }
        }
    }

    struct Entry: Sendable {
        var name: String
        var dtype: DType
        var shape: [Int]
        /// Byte range relative to the start of the data section.
        var range: Range<Int>
        var elementCount: Int { shape.reduce(1, *) }
    }

    /// Header larger than this is treated as corrupt (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    let path: String
    let entries: [String: Entry]
    private let base: UnsafeRawPointer
    private let fileSize: Int
    private let dataOffset: Int

    init(path: String) throws(BertEncoder.Error) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            if err == ENOENT || err == ENOTDIR {
                throw BertEncoder.Error(.fileNotFound, "weights file not found", path: path)
            }
            throw BertEncoder.Error(.unreadableFile, "cannot open weights file: \(String(cString: strerror(err)))", path: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw BertEncoder.Error(.unreadableFile, "cannot stat weights file: \(String(cString: strerror(errno)))", path: path)
        }
        let size = Int(st.st_size)
        guard size >= 8 else {
            throw BertEncoder.Error(.corruptFile, "file is \(size) bytes, too short for a safetensors header", path: path)
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw BertEncoder.Error(.unreadableFile, "cannot map weights file: \(String(cString: strerror(errno)))", path: path)
        }
        let base = UnsafeRawPointer(mapped)
        do {
            let (entries, dataOffset) = try Self.parseHeader(base: base, fileSize: size, path: path)
            self.base = base
            self.fileSize = size
            self.dataOffset = dataOffset
            self.entries = entries
        } catch {
            munmap(mapped, size)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), fileSize)
    }

    /// The whole file, e.g. for a content hash.
    var fileBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: fileSize) }

    /// Copies tensor `name` into `destination` as `Float`, converting F16/BF16, after
    /// checking that its shape is `shape`.
    func copyFloats(_ name: String, shape: [Int], into destination: UnsafeMutableBufferPointer<Float>) throws(BertEncoder.Error) {
        guard let entry = entries[name] else {
            throw BertEncoder.Error(.missingTensor, "tensor '\(name)' not found", path: path)
        }
        guard entry.shape == shape else {
            throw BertEncoder.Error(.shapeMismatch, "tensor '\(name)' has shape \(entry.shape), config.json implies \(shape)", path: path)
        }
        precondition(destination.count == entry.elementCount)
        let source = UnsafeRawBufferPointer(rebasing: fileBytes[(dataOffset + entry.range.lowerBound)..<(dataOffset + entry.range.upperBound)])
        let count = entry.elementCount
        switch entry.dtype {
        case .f32:
            // Byte copy: tensor offsets need not be 4-byte aligned. Safetensors is little-endian.
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
        case .f16:
            for i in 0..<count {
                destination[i] = Self.halfToFloat(source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt32(source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) << 16
                destination[i] = Float(bitPattern: bits)
            }
        default:
            throw BertEncoder.Error(.unsupportedDType, "tensor '\(name)' is \(entry.dtype.rawValue); only F32, F16 and BF16 are supported", path: path)
        }
    }

    /// IEEE binary16 → binary32, exact (including subnormals, infinities, NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    private static func parseHeader(base: UnsafeRawPointer, fileSize: Int, path: String) throws(BertEncoder.Error) -> ([String: Entry], Int) {
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength > 0, headerLength <= UInt64(maxHeaderBytes) else {
            throw BertEncoder.Error(.corruptFile, "header length \(headerLength) is not plausible", path: path)
        }
        let dataOffset = 8 + Int(headerLength)
        guard dataOffset <= fileSize else {
            throw BertEncoder.Error(.corruptFile, "header claims \(headerLength) bytes but the file has \(fileSize) (truncated?)", path: path)
        }
        let headerBytes = Data(bytes: base + 8, count: Int(headerLength))
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
                throw BertEncoder.Error(.corruptFile, "header is not a JSON object", path: path)
            }
            object = parsed
        } catch let error as BertEncoder.Error {
            throw error
        } catch {
            throw BertEncoder.Error(.corruptFile, "header is not valid JSON", path: path)
        }

        let dataSize = fileSize - dataOffset
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(object.count)
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String,
                  let shapeValues = fields["shape"] as? [Any],
                  let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2
            else {
                throw BertEncoder.Error(.corruptFile, "header entry '\(name)' lacks dtype, shape or data_offsets", path: path)
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw BertEncoder.Error(.unsupportedDType, "tensor '\(name)' has unknown dtype '\(dtypeName)'", path: path)
            }
            let shape = shapeValues.compactMap { ($0 as? NSNumber)?.intValue }
            let offsets = offsetValues.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2 else {
                throw BertEncoder.Error(.corruptFile, "tensor '\(name)' has a malformed shape or data_offsets", path: path)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw BertEncoder.Error(
                    .corruptFile,
                    "tensor '\(name)' spans bytes \(begin)..<\(end) but the data section has \(dataSize) (truncated?)",
                    path: path
                )
            }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw BertEncoder.Error(.corruptFile, "tensor '\(name)' shape overflows", path: path) }
                count = product
            }
            guard count.multipliedReportingOverflow(by: dtype.byteSize) == (end - begin, false) else {
                throw BertEncoder.Error(
                    .corruptFile,
                    "tensor '\(name)' is \(dtypeName)\(shape) = \(count * dtype.byteSize) bytes but its data is \(end - begin)",
                    path: path
                )
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
        }
        return (entries, dataOffset)
    }
}
