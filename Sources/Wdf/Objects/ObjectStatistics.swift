/// Read-only statistics about the framework objects of every driver in the process.
package enum ObjectStatistics {
    /// The number of framework objects of each kind that exist now, across all drivers.
    ///
    /// An object counts from the moment it is created until its memory goes: live objects,
    /// objects being deleted, and deleted objects that a reference still keeps (disposed but not
    /// yet destroyed). Every kind is present in the result, with 0 when there is none.
    ///
    /// A snapshot for monitoring, cheap enough to take once a second: it scans the object table
    /// up to its high-water mark (the most objects that ever existed at once) and holds the
    /// table's allocation lock meanwhile, so creations and deletions on other threads wait for
    /// the scan. While other threads create and delete objects the counts are only as current as
    /// the moment of the scan.
    package static func liveCounts() -> [ObjectKind: Int] {
        let counts = ObjectTable.countSlotsInUse()
        var result: [ObjectKind: Int] = [:]
        for rawValue in UInt8.min...UInt8.max {
            if let kind = ObjectKind(rawValue: rawValue) { result[kind] = counts[Int(rawValue)] }
        }
        return result
    }
}
