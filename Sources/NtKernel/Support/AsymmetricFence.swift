public import CRuntimeShims

/// A pair of fences for a store-then-load handshake between a hot path and a rare one: the hot
/// side's fence is a compiler barrier, the rare side's makes every thread of the process execute
/// a full barrier (membarrier(2), private expedited). Where the kernel lacks that, both sides
/// are full fences.
///
/// The pattern: the hot side stores A, calls `light()`, loads B; the rare side stores B, calls
/// `heavy()`, loads A. At least one of them sees the other's store.
@usableFromInline package enum AsymmetricFence {
    /// The hot side's fence.
    @inlinable @inline(__always)
    package static func light() { nt_light_fence() }

    /// The rare side's fence (a system call: a few hundred nanoseconds).
    package static func heavy() { nt_heavy_fence() }
}
