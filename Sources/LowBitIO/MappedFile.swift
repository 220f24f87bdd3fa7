#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. The mapping lives as long as this object.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let heap: UnsafeMutableRawPointer?

    public init(path: String) throws(ModelFileError) {
        self.path = path
        self.heap = nil
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ModelFileError(.notFound, path: path, "no such file")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFileError(.io, path: path, "not a regular file")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ModelFileError(.io, path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let size = Int(st.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelFileError(.io, path: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        mapping = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    init(memory data: [UInt8], name: String) {
        path = name
        mapping = nil
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
        heap = p
        bytes = UnsafeRawBufferPointer(start: p, count: data.count)
    }

    /// Bytes owned by someone else, who keeps them alive and unchanged while this object is used.
    init(borrowing bytes: UnsafeRawBufferPointer, name: String) {
        path = name
        mapping = nil
        heap = nil
        self.bytes = bytes
    }

    public var count: Int { bytes.count }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
        heap?.deallocate()
    }
}

extension MappedFile {
    /// A "file" held in memory (for parsing bytes that never touched the disk, e.g. in tests).
    public convenience init(copying data: [UInt8], name: String) {
        self.init(memory: data, name: name)
    }
}
