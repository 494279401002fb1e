internal import CRuntimeShims
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything the runtime keeps per thread: the IRQL, the emulated process, the per-thread pool
/// caches and tag counters, and the lookaside magazines.
///
/// Reached through a C `_Thread_local` pointer (about a nanosecond). Created on a thread's first
/// call; when the thread exits, a pthread key destructor gives its cached entries back to the
/// shared depots and folds its counters into the retired totals.
@usableFromInline
struct ThreadContext: ~Copyable {
    /// The current IRQL (owner thread only).
    @usableFromInline var irql: UInt8 = Irql.passive.rawValue
    /// Index of the emulated process quota is charged to; 0 is System (never charged).
    var processIndex: UInt16 = 0
    /// `KeEnterCriticalRegion` depth (owner thread only). In the padding before `slot`: no other
    /// field moves.
    var criticalRegionDepth: UInt32 = 0
    /// This thread's index into every lookaside list's magazine table, or -1 when all slots are
    /// taken (the thread then works directly on the shared depots).
    let slot: Int
    /// Where this thread's magazine is in every list's magazine table (from `slot`).
    @usableFromInline let magazineOffset: Int
    /// Per-tag counters, written by this thread only and summed by readers.
    let accounting: UnsafeMutablePointer<ThreadAccounting>
    /// The last (tag, paged) key this thread accounted, and its counters.
    var lastTagKey: UInt64 = 0
    var lastTagCounters: UnsafeMutablePointer<TagCounters>? = nil
    /// Per-size-class pool caches, created on the first pool call.
    var poolCache: UnsafeMutablePointer<PoolThreadCache>? = nil
    /// The lookaside magazines this thread owns, one per list it has used.
    var magazines: UnsafeMutablePointer<LookasideMagazine>? = nil
    /// Storage of the modules above the runtime (`ThreadStorageKey`), owner thread only.
    let storage: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    init(slot: Int) {
        self.slot = slot
        magazineOffset = LookasideMagazineTable.offset(ofSlot: slot)
        accounting = .allocate(capacity: 1)
        accounting.initialize(to: ThreadAccounting())
        storage = .allocate(capacity: ThreadStorageKey.capacity)
        storage.initialize(repeating: nil, count: ThreadStorageKey.capacity)
    }

    /// The calling thread's context, created on first use.
    @inline(__always)
    static var current: UnsafeMutablePointer<ThreadContext> {
        if let raw = nt_thread_context_get() {
            return raw.assumingMemoryBound(to: ThreadContext.self)
        }
        return ThreadRegistry.attachCurrentThread()
    }
}

/// A pointer that may be kept in shared, lock-protected state.
struct SendablePointer<Pointee: ~Copyable>: @unchecked Sendable, Equatable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}

/// The live threads' contexts, thread slots, and the thread-exit path.
enum ThreadRegistry {
    /// How many threads get a lookaside magazine slot; later threads use the depots directly.
    static let slotCount = 128

    struct State {
        var threads: [SendablePointer<ThreadContext>] = []
        var freeSlots: [Int] = Array((0..<ThreadRegistry.slotCount).reversed())
    }

    /// What each `ThreadStorageKey` does at thread exit.
    static let storageHooks = KernelLock<[Int: @Sendable (UnsafeMutableRawPointer) -> Void]>([:])

    /// Guards thread attach and detach. Lock order: this lock, then a lookaside list's depot
    /// lock, then a pool size class's depot lock.
    static let state = KernelLock(State())

    private static let exitKey: pthread_key_t = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { raw in
            guard let raw else { return }
            ThreadRegistry.detach(raw.assumingMemoryBound(to: ThreadContext.self))
        }
        precondition(result == 0, "pthread_key_create failed")
        return key
    }()

    @inline(never)
    static func attachCurrentThread() -> UnsafeMutablePointer<ThreadContext> {
        let context = UnsafeMutablePointer<ThreadContext>.allocate(capacity: 1)
        state.withLock { state in
            context.initialize(to: ThreadContext(slot: state.freeSlots.popLast() ?? -1))
            state.threads.append(SendablePointer(context))
        }
        nt_thread_context_set(UnsafeMutableRawPointer(context))
        pthread_setspecific(exitKey, context)
        MonitorHook.threadAttached()
        return context
    }

    /// Runs at thread exit: magazines and pool caches go back to their depots, counters to the
    /// retired totals, the slot back to the free list. The context stays attached until the end:
    /// freeing what the depots do not take calls back into the pool (and into drivers' free
    /// routines), which must find this thread's context, not make a new one.
    static func detach(_ context: UnsafeMutablePointer<ThreadContext>) {
        let hooks = storageHooks.withLock { $0 }
        for (index, hook) in hooks {
            if let value = context.pointee.storage[index] {
                context.pointee.storage[index] = nil
                hook(value)
            }
        }
        let surplus = state.withLock { _ in LookasideMagazine.releaseAll(ownedBy: context) }
        for item in surplus { item.release() }
        state.withLock { state in
            if let cache = context.pointee.poolCache {
                PoolThreadCache.release(cache)
                context.pointee.poolCache = nil
            }
            PoolAccounting.retire(context.pointee.accounting)
            if context.pointee.slot >= 0 { state.freeSlots.append(context.pointee.slot) }
            state.threads.removeAll { $0.pointer == context }
        }
        nt_thread_context_set(nil)
        context.pointee.storage.deallocate()
        context.deinitialize(count: 1)
        context.deallocate()
    }

    /// Calls `body` with every live thread's context, holding the registry lock (no thread can
    /// attach, exit or retire its counters meanwhile).
    static func whileLocked(_ body: ([UnsafeMutablePointer<ThreadContext>]) -> Void) {
        state.withLock { state in body(state.threads.map(\.pointer)) }
    }
}

