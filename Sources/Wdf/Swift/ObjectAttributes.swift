import NtKernel
import Synchronization

/// What a new framework object gets besides its own parameters: its parent, a context of any
/// Swift type, and callbacks. Corresponds to `WDF_OBJECT_ATTRIBUTES` (after
/// `WDF_OBJECT_ATTRIBUTES_INIT`, `WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE`).
///
/// ```swift
/// let attributes = ObjectAttributes(parent: request, context: Session(name: "first"))
/// let memory = try WdfMemory(size: 512, attributes: attributes)   // deleted with `request`
/// ```
public struct ObjectAttributes {
    /// The parent's handle; nil for the current driver. Corresponds to `ParentObject`.
    public var parent: WdfObject?
    /// Runs when the object is deleted (children first), while it is still usable.
    /// Corresponds to `EvtCleanupCallback`.
    public var cleanup: (@Sendable () -> Void)?
    /// Runs when the object is destroyed (its last reference gone), after `cleanup`.
    /// Corresponds to `EvtDestroyCallback`.
    public var destroy: (@Sendable () -> Void)?
    /// Makes the context for each object created with these attributes.
    var context: ContextRecipe?

    /// Attributes with no parent (the current driver), no callbacks and no context.
    /// Corresponds to `WDF_OBJECT_ATTRIBUTES_INIT`.
    public init(cleanup: (@Sendable () -> Void)? = nil, destroy: (@Sendable () -> Void)? = nil) {
        self.cleanup = cleanup
        self.destroy = destroy
    }

    /// Attributes naming `parent`: the new object is deleted with it (if it is not deleted
    /// first). Any framework object type can be the parent. Corresponds to setting
    /// `ParentObject`.
    public init<Parent: FrameworkObject & ~Copyable>(
        parent: borrowing Parent, cleanup: (@Sendable () -> Void)? = nil, destroy: (@Sendable () -> Void)? = nil
    ) {
        self.parent = parent.object
        self.cleanup = cleanup
        self.destroy = destroy
    }

    /// Attributes with a context: every object created with them gets its own copy of
    /// `context`, deinitialized when the object is destroyed. Any Swift type works: bitwise-
    /// copyable ones are stored in the object's context memory, others out of line (the context
    /// memory holds a pointer to them). Read and change it with the owner's `withContext(_:_:)`.
    /// Corresponds to `WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE` and `WdfObjectGetTypedContext`.
    public init<Parent: FrameworkObject & ~Copyable, Context>(
        parent: borrowing Parent, context: Context, cleanup: (@Sendable () -> Void)? = nil, destroy: (@Sendable () -> Void)? = nil
    ) {
        self.init(parent: parent, cleanup: cleanup, destroy: destroy)
        self.context = ContextRecipe(context)
    }

    /// Attributes with a context and no parent (the current driver). See
    /// ``init(parent:context:cleanup:destroy:)``.
    public init<Context>(context: Context, cleanup: (@Sendable () -> Void)? = nil, destroy: (@Sendable () -> Void)? = nil) {
        self.init(cleanup: cleanup, destroy: destroy)
        self.context = ContextRecipe(context)
    }

    /// The attributes the package layer takes, with `made` (this creation's context) wired in.
    func lowered(context made: ContextInstance?) -> WdfAttributes {
        var cleanupCallback: ObjectCallback?
        if let cleanup { cleanupCallback = { _ in cleanup() } }
        var destroyCallback: ObjectCallback?
        let destroy = self.destroy
        let release = made?.release
        if destroy != nil || release != nil {
            destroyCallback = { _ in
                destroy?()
                release?()
            }
        }
        return WdfAttributes(parent: parent, cleanup: cleanupCallback, destroy: destroyCallback, context: made?.type)
    }
}

/// How to make one object's context from the value the attributes hold.
struct ContextRecipe {
    let make: () -> ContextInstance

    init<Context>(_ value: Context) {
        make = { ContextInstance(value) }
    }
}

/// One object's context before and after its creation: the type the framework allocates, how to
/// put the value there, and what the object's destruction does.
struct ContextInstance {
    let type: ContextType
    /// Stores the value in the new object's context memory.
    let install: (UnsafeMutableRawPointer) -> Void
    /// Deinitializes an out-of-line value (nil for bitwise-copyable contexts).
    let release: (@Sendable () -> Void)?
    /// Undoes `init` when the object could not be created.
    let abandon: () -> Void

    init<Context>(_ value: Context) {
        type = ContextType.ofSwiftType(Context.self)
        if ContextStorage.isInline(Context.self) {
            install = { $0.initializeMemory(as: Context.self, to: value) }
            release = nil
            abandon = {}
        } else {
            let box = ContextBox(value)
            install = { $0.storeBytes(of: UnsafeMutableRawPointer(box.pointer), as: UnsafeMutableRawPointer.self) }
            release = { box.release() }
            abandon = { box.release() }
        }
    }
}

/// The out-of-line value of a context, handed to the destroy callback (which may run on another
/// thread: the value is the object's, reached only through its owner until then). Released
/// once, whoever asks first (the destroy callback, or a creation that failed).
final class ContextBox<Context>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Context>
    private let released = Atomic<Bool>(false)

    init(_ value: Context) {
        pointer = UnsafeMutablePointer<Context>.allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

enum ContextStorage {
    /// Bitwise-copyable (trivial) types live in the context memory itself.
    static func isInline<Context>(_ type: Context.Type) -> Bool { _isPOD(type) }

    /// The context of `Context` on `object`, or nil when it has none.
    static func withContext<Context, Result>(
        _ object: WdfObject, _ type: Context.Type, _ body: (inout Context) throws -> Result
    ) rethrows -> Result? {
        guard let memory = object.context(ContextType.ofSwiftType(type)) else { return nil }
        if isInline(type) { return try body(&memory.assumingMemoryBound(to: Context.self).pointee) }
        let pointer = memory.load(as: UnsafeMutableRawPointer.self).assumingMemoryBound(to: Context.self)
        return try body(&pointer.pointee)
    }
}

extension ContextType {
    /// The context type of any Swift type: its metadata is the key; its size is its stride when
    /// stored inline, a pointer's otherwise.
    static func ofSwiftType<Context>(_ type: Context.Type) -> ContextType {
        ContextType(
            key: UInt(bitPattern: unsafeBitCast(type as Any.Type, to: Int.self)),
            size: ContextStorage.isInline(type) ? max(1, MemoryLayout<Context>.stride) : MemoryLayout<UnsafeRawPointer>.size,
            name: String(describing: type))
    }
}

/// Creates an object through `create` with `attributes` lowered, its context installed; the
/// owner's reference is taken by the caller.
func createWithAttributes(
    _ attributes: ObjectAttributes, _ create: (WdfAttributes) throws(NTStatus) -> WdfObject
) throws(NTStatus) -> WdfObject {
    let made = attributes.context?.make()
    let object: WdfObject
    do {
        object = try create(attributes.lowered(context: made))
    } catch {
        made?.abandon()
        throw error
    }
    if let made, let memory = object.context(made.type) { made.install(memory) }
    return object
}
