import Foundation

/// Finding the labelled-data directory (`shared/data/labelled`).
public enum DataDirectory {
    /// The directory given with `--data`, else the first of `../shared/data/labelled` (relative
    /// to `workingDirectory`) and `<root>/../shared/data/labelled` for each of `packageRoots`
    /// that exists.
    /// - Throws: `EvalError.notFound` listing the places looked in.
    public static func labelled(explicit: String?, workingDirectory: String = FileManager.default.currentDirectoryPath,
                                packageRoots: [String] = []) throws(EvalError) -> String {
        if let explicit {
            guard isDirectory(explicit) else { throw EvalError(.notFound, path: explicit, "no such directory") }
            return explicit
        }
        let candidates = ([workingDirectory] + packageRoots).map { ($0 as NSString).appendingPathComponent("../shared/data/labelled") }
        if let found = candidates.first(where: isDirectory) { return (found as NSString).standardizingPath }
        throw EvalError(.notFound, "no labelled data directory (looked in \(candidates.joined(separator: ", "))); give one with --data DIR")
    }

    /// The nearest directory at or above `path` that holds a `Package.swift`, or nil.
    public static func packageRoot(above path: String) -> String? {
        var dir = (path as NSString).standardizingPath
        while true {
            if FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("Package.swift")) { return dir }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { return nil }
            dir = parent
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
