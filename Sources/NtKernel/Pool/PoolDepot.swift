import Synchronization

/// The shared store of free blocks of one bin, behind a lock. Threads move blocks to and from it
/// in batches (half a thread cache at a time), so the lock is taken once per batch, not per block.
struct PoolDepot: ~Copyable {
    /// Free blocks in fixed-size segments, newest segment on top: growing never copies what is
    /// already there (a million blocks freed in a row cost a million stores, not a series of
    /// ever larger copies), and an emptied segment is kept as a spare, so a depot that swings
    /// around a segment boundary does not allocate each time.
    struct Stack: @unchecked Sendable {
        struct Segment {
            var below: UnsafeMutablePointer<Segment>?
            var count: Int
        }

        static var segmentCapacity: Int { 1024 }

        var top: UnsafeMutablePointer<Segment>? = nil
        var spare: UnsafeMutablePointer<Segment>? = nil

        static func entries(of segment: UnsafeMutablePointer<Segment>) -> UnsafeMutablePointer<UnsafeMutableRawPointer> {
            (UnsafeMutableRawPointer(segment) + MemoryLayout<Segment>.stride).assumingMemoryBound(to: UnsafeMutableRawPointer.self)
        }

        /// A segment with room: the top one, or a new one on it.
        mutating func segmentWithRoom() -> UnsafeMutablePointer<Segment> {
            if let top, top.pointee.count < Self.segmentCapacity { return top }
            let segment: UnsafeMutablePointer<Segment>
            if let spare {
                segment = spare
                self.spare = nil
            } else {
                let bytes = MemoryLayout<Segment>.stride + Self.segmentCapacity * MemoryLayout<UnsafeMutableRawPointer>.stride
                segment = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Segment.self, capacity: 1)
            }
            segment.initialize(to: Segment(below: top, count: 0))
            top = segment
            return segment
        }

        mutating func push(_ source: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) {
            var done = 0
            while done < count {
                let segment = segmentWithRoom()
                let moved = Swift.min(count - done, Self.segmentCapacity - segment.pointee.count)
                (Self.entries(of: segment) + segment.pointee.count).initialize(from: source + done, count: moved)
                segment.pointee.count += moved
                done += moved
            }
        }

        mutating func pop(into destination: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) -> Int {
            var done = 0
            while done < count, let segment = top {
                let moved = Swift.min(count - done, segment.pointee.count)
                segment.pointee.count -= moved
                (destination + done).initialize(from: Self.entries(of: segment) + segment.pointee.count, count: moved)
                done += moved
                if segment.pointee.count == 0 {
                    top = segment.pointee.below
                    if let spare { UnsafeMutableRawPointer(spare).deallocate() }
                    spare = segment
                }
            }
            return done
        }
    }

    let stack = KernelLock(Stack())

    /// Moves `count` blocks from `source` into the depot.
    func put(_ source: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) {
        stack.withLock { $0.push(source, count: count) }
    }

    /// Moves up to `count` blocks into `destination`; returns how many moved.
    func take(into destination: UnsafeMutablePointer<UnsafeMutableRawPointer>, count: Int) -> Int {
        stack.withLock { $0.pop(into: destination, count: count) }
    }
}

/// One depot per bin, shared by all threads.
enum PoolDepots {
    struct Table: @unchecked Sendable { let depots: UnsafeMutablePointer<PoolDepot> }
    static let table: Table = {
        let depots = UnsafeMutablePointer<PoolDepot>.allocate(capacity: PoolSizeClass.binCount)
        for index in 0..<PoolSizeClass.binCount { (depots + index).initialize(to: PoolDepot()) }
        return Table(depots: depots)
    }()
}
