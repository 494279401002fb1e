internal import CRuntimeShims

/// A few words of per-thread storage for the modules above the kernel runtime (the object
/// table's slot cache, for one), reached through the runtime's thread context: one TLS load,
/// no lock, no allocation.
///
/// A key is registered once, with what to do when a thread that used it exits (give cached
/// resources back). The exit hook runs on the exiting thread, before its context goes away.
package struct ThreadStorageKey: Sendable {
    let index: Int

    /// Keys available to the modules above NtKernel.
    package static let capacity = 4

    /// The key of the framework's object table (Wdf).
    package static let objectTable = ThreadStorageKey(index: 0)

    /// Sets what happens to a thread's value at thread exit (set it before storing values).
    package func setExitHook(_ onThreadExit: @escaping @Sendable (UnsafeMutableRawPointer) -> Void) {
        ThreadRegistry.storageHooks.withLock { $0[index] = onThreadExit }
    }

    /// The calling thread's value for this key (nil until set).
    @inline(__always)
    package var value: UnsafeMutableRawPointer? {
        get { ThreadContext.current.pointee.storage[index] }
        nonmutating set { ThreadContext.current.pointee.storage[index] = newValue }
    }
}
