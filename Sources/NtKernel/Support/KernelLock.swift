public import CRuntimeShims
package import Synchronization

/// A `Mutex` whose ordering ThreadSanitizer can see.
///
/// `Synchronization.Mutex` is prebuilt without sanitizer instrumentation, so a
/// `swift test --sanitize=thread` run reports every access it guards as a race. This wrapper
/// adds acquire/release annotations inside the critical section (a not-taken branch when the
/// sanitizer runtime is absent). Use it wherever the runtime would use `Mutex`.
package struct KernelLock<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    @usableFromInline let mutex: Mutex<Value>
    /// A private address that names this lock to ThreadSanitizer.
    @usableFromInline let token: UnsafeMutableRawPointer

    package init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
        token = nt_lock_token_take()
    }

    deinit { nt_lock_token_give(token) }

    /// Runs `body` with the value, holding the lock. Inlinable, so each use is specialized for
    /// its value type (an unspecialized generic call costs a metadata lookup per lock).
    @inlinable
    package borrowing func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        let token = token
        return try mutex.withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            kernelLockAcquired(token)
            defer { kernelLockReleasing(token) }
            return try body(&value)
        }
    }
}

/// Tells ThreadSanitizer (when present) that the lock named by `token` was taken: inline, a
/// not-taken branch when the sanitizer runtime is absent.
@inlinable @inline(__always)
func kernelLockAcquired(_ token: UnsafeMutableRawPointer) { nt_tsan_acquire(token) }

/// Tells ThreadSanitizer (when present) that the lock named by `token` is about to be released.
@inlinable @inline(__always)
func kernelLockReleasing(_ token: UnsafeMutableRawPointer) { nt_tsan_release(token) }
