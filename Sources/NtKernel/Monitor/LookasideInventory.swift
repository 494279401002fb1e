/// One executive lookaside list that exists now, with its counters: what `!lookaside` shows in
/// the debugger for a list, for monitoring tools (wdfmon's lookaside table).
package struct LookasideListInfo: Hashable, Sendable {
    /// An identifier that stays the same while the list exists (the address of its shared part).
    package var identifier: UInt
    /// The routine that initialized the list, e.g. `ExInitializeLookasideListEx`.
    package var routine: String
    package var tag: PoolTag
    package var poolType: PoolType
    /// The size of each entry, in bytes.
    package var entrySize: Int
    package var statistics: LookasideStatistics
}

extension LookasideListEx {
    /// Every lookaside list of the process that the real-time depth tuner scans (every list made
    /// through the C routines, ``LookasideListEx``, lookaside-list objects and ECP lists, unless
    /// a test gave it a manual tuner), in creation order, with its counters now.
    ///
    /// A monitoring read: it holds the tuner's lock while it reads the counters, so a list being
    /// created or deleted on another thread waits for it. Counters are exact once the threads
    /// using the lists are quiet.
    package static func inventory() -> [LookasideListInfo] {
        var result: [LookasideListInfo] = []
        LookasideTuner.shared.withRegisteredLists { lists in
            result.reserveCapacity(lists.count)
            for core in lists {
                result.append(LookasideListInfo(
                    identifier: UInt(bitPattern: core), routine: "\(core.pointee.name)", tag: core.pointee.tag,
                    poolType: core.pointee.poolType, entrySize: core.pointee.entrySize, statistics: core.statistics()))
            }
        }
        return result
    }
}
