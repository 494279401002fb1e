#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a closure on a new thread and waits until that thread has exited (so its thread-exit
/// work has run too).
public enum OtherThread {
    private final class Job: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ValueBox<T>()
        let job = Unmanaged.passRetained(Job { box.value = body() })
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, job.toOpaque())
        precondition(created == 0)
        pthread_join(thread, nil)
        return box.value!
    }
}

/// A value one thread writes and another reads after joining it.
public final class ValueBox<T>: @unchecked Sendable {
    public var value: T?
    public init() {}
}
