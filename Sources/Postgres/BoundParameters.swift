import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lays the query's parameters out as the C arrays libpq takes, in one temporary allocation:
/// the value pointers, the types, lengths and formats, then the values themselves. Text
/// values must be NUL-terminated, so each gets a terminator; a NUL inside a text value is
/// refused before anything is sent. This runs for every statement, so it reads each parameter
/// in place rather than copying it, which would retain and release its bytes.
func withParameters<R>(
    _ query: PostgresQuery,
    _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) throws -> R {
    try query.parameters.withUnsafeBufferPointer { parameters in
        let count = parameters.count
        guard count > 0 else { return body(0, nil, nil, nil, nil) }
        var valueBytes = 0
        for index in 0..<count { valueBytes += (parameters[index].bytes?.count ?? 0) + 1 }
        let pointerBytes = count * MemoryLayout<UnsafePointer<CChar>?>.stride
        let integerBytes = count * MemoryLayout<Int32>.stride
        return try withUnsafeTemporaryAllocation(
            byteCount: pointerBytes + 3 * integerBytes + valueBytes, alignment: MemoryLayout<UnsafeRawPointer>.alignment
        ) { buffer in
            let start = buffer.baseAddress!
            let values = start.bindMemory(to: UnsafePointer<CChar>?.self, capacity: count)
            let types = (start + pointerBytes).bindMemory(to: Oid.self, capacity: count)
            let lengths = (start + pointerBytes + integerBytes).bindMemory(to: Int32.self, capacity: count)
            let formats = (start + pointerBytes + 2 * integerBytes).bindMemory(to: Int32.self, capacity: count)
            var next = (start + pointerBytes + 3 * integerBytes).bindMemory(to: UInt8.self, capacity: valueBytes)
            for index in 0..<count {
                types[index] = Oid(parameters[index].type.oid)
                let isBinary = parameters[index].isBinary
                formats[index] = isBinary ? 1 : 0
                guard let bytes = parameters[index].bytes else {
                    values[index] = nil
                    lengths[index] = 0
                    continue
                }
                let length = bytes.withUnsafeBufferPointer { source in
                    if let from = source.baseAddress { next.update(from: from, count: source.count) }
                    return source.count
                }
                if !isBinary, memchr(next, 0, length) != nil { throw PostgresError.nulInText }
                next[length] = 0
                values[index] = UnsafeRawPointer(next).assumingMemoryBound(to: CChar.self)
                lengths[index] = Int32(length)
                next += length + 1
            }
            return body(Int32(count), types, values, lengths, formats)
        }
    }
}

/// libpq takes text values NUL-terminated, so a text value cannot hold a NUL.
func refuseNulInText(_ query: PostgresQuery) throws {
    for parameter in query.parameters where !parameter.isBinary {
        if parameter.bytes?.contains(0) == true { throw PostgresError.nulInText }
    }
}
