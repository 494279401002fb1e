package import NtKernel

/// `WDF_EXECUTION_LEVEL`.
package enum ExecutionLevel: UInt32, Sendable {
    case inheritFromParent = 1
    case passive = 2
    case dispatch = 3
}

/// `WDF_SYNCHRONIZATION_SCOPE`.
package enum SynchronizationScope: UInt32, Sendable {
    case inheritFromParent = 1
    case device = 2
    case queue = 3
    case none = 4
}

/// A context type: the key contexts are looked up by, and their size.
///
/// From Swift, `ContextType(MyContext.self)`; from C, the `WDF_OBJECT_CONTEXT_TYPE_INFO` that
/// `WDF_DECLARE_CONTEXT_TYPE` defines (its address is the key).
package struct ContextType: Hashable, Sendable {
    /// The lookup key (a type-info address).
    package let key: UInt
    /// Bytes of context (before rounding to pointer size).
    package let size: Int
    package let name: String

    package init(key: UInt, size: Int, name: String) {
        self.key = key
        self.size = size
        self.name = name
    }

    /// The context type of a Swift type: its metadata is the key, its stride the size.
    package init<Context: BitwiseCopyable>(_ type: Context.Type) {
        key = UInt(bitPattern: unsafeBitCast(type as Any.Type, to: Int.self))
        size = MemoryLayout<Context>.stride
        name = String(describing: type)
    }
}

/// A callback an object runs when it is cleaned up or destroyed.
package typealias ObjectCallback = @Sendable (WdfObject) -> Void

/// What a new object gets: its parent, callbacks, and context. Corresponds to
/// `WDF_OBJECT_ATTRIBUTES` (after `WDF_OBJECT_ATTRIBUTES_INIT`).
package struct WdfAttributes: Sendable {
    /// The parent; nil for the driver.
    package var parent: WdfObject?
    /// Runs when the object is deleted (children first), while it is still usable.
    package var cleanup: ObjectCallback?
    /// Runs when the last reference goes, after cleanup.
    package var destroy: ObjectCallback?
    package var executionLevel: ExecutionLevel = .inheritFromParent
    package var synchronizationScope: SynchronizationScope = .inheritFromParent
    /// A context to allocate with the object (zero-filled).
    package var context: ContextType?
    /// When non-zero, the context's size instead of the type's (at least the type's size).
    package var contextSizeOverride: Int = 0

    package init(
        parent: WdfObject? = nil, cleanup: ObjectCallback? = nil, destroy: ObjectCallback? = nil,
        context: ContextType? = nil
    ) {
        self.parent = parent
        self.cleanup = cleanup
        self.destroy = destroy
        self.context = context
    }

    /// Nothing but (at most) a parent, and levels a memory object accepts: a memory or generic
    /// object with these attributes may take `MemoryObjects.createPlainly` or
    /// `WdfObject.createPlainly`.
    var asksForNothingButAParent: Bool {
        cleanup == nil && destroy == nil && context == nil && contextSizeOverride == 0
            && Self.levelsArePlain(executionLevel: executionLevel.rawValue, synchronizationScope: synchronizationScope.rawValue)
    }

    /// The levels a plain creation accepts (raw values, as the C attributes hold them): both
    /// left to the parent, or no synchronization scope.
    @inline(__always)
    package static func levelsArePlain(executionLevel: UInt32, synchronizationScope: UInt32) -> Bool {
        executionLevel == ExecutionLevel.inheritFromParent.rawValue
            && (synchronizationScope == SynchronizationScope.inheritFromParent.rawValue
                || synchronizationScope == SynchronizationScope.none.rawValue)
    }

    /// The bytes of context to allocate, rounded up to pointer size.
    var contextBytes: Int {
        guard let context else { return 0 }
        let bytes = contextSizeOverride != 0 ? contextSizeOverride : context.size
        return (bytes + MemoryLayout<UInt>.size - 1) & ~(MemoryLayout<UInt>.size - 1)
    }

    /// The alignment of the context: the largest power of two that divides the type's size,
    /// from 16 (what pool blocks have) up to 64 (a cache line). The C type information carries a
    /// size, not an alignment, but a type's size is a multiple of its alignment, so a context
    /// type declared `DECLSPEC_ALIGN(32)` or `DECLSPEC_CACHEALIGN` gets a context so aligned
    /// (a type aligned beyond 64 bytes gets 64).
    var contextAlignment: Int {
        guard let size = context?.size, size > 0 else { return ObjectContexts.headerSize }
        return min(max(size & (0 &- size), ObjectContexts.headerSize), 64)
    }

    /// The largest context size (a type's or an override) that is accepted: its size with the
    /// header and the rounding must not overflow. Larger ones are `.integerOverflow` (KMDF adds
    /// the sizes with overflow checks); smaller ones that the pool cannot give fail as
    /// allocations do, `.insufficientResources`.
    static var maximumContextSize: UInt { UInt(Int.max) / 2 }

    /// Checks what a Swift caller can get wrong (documented order, after the size checks). Context
    /// sizes are compared as the C `size_t`s they are (a negative `Int` is 2^63 or more).
    func validate(forMemory: Bool) throws(NTStatus) {
        let override = UInt(bitPattern: contextSizeOverride)
        let typeSize = UInt(bitPattern: context?.size ?? 0)
        if override != 0 {
            guard context != nil, override >= typeSize else { throw .wdfObjectAttributesInvalid }
        }
        if forMemory {
            guard synchronizationScope == .inheritFromParent || synchronizationScope == .none else {
                throw .wdfSynchronizationScopeInvalid
            }
            guard executionLevel == .inheritFromParent else { throw .wdfExecutionLevelInvalid }
        }
        guard override <= Self.maximumContextSize, typeSize <= Self.maximumContextSize else { throw .integerOverflow }
    }
}

/// `WDF_OBJECT_ATTRIBUTES` as C code fills it, before validation: what the C door passes.
package struct RawObjectAttributes: Sendable {
    /// The `Size` field, and what it must be.
    package var size: UInt32
    package var expectedSize: UInt32
    package var cleanup: ObjectCallback?
    package var destroy: ObjectCallback?
    package var executionLevel: UInt32
    package var synchronizationScope: UInt32
    package var parent: WdfObject?
    package var contextSizeOverride: Int
    package var context: RawContextType?

    package init(
        size: UInt32, expectedSize: UInt32, cleanup: ObjectCallback?, destroy: ObjectCallback?, executionLevel: UInt32,
        synchronizationScope: UInt32, parent: WdfObject?, contextSizeOverride: Int, context: RawContextType?
    ) {
        self.size = size
        self.expectedSize = expectedSize
        self.cleanup = cleanup
        self.destroy = destroy
        self.executionLevel = executionLevel
        self.synchronizationScope = synchronizationScope
        self.parent = parent
        self.contextSizeOverride = contextSizeOverride
        self.context = context
    }

    /// Whether the early parent lookup may trust `parent` (a wrong Size skips it).
    package var sizeIsValid: Bool { size == expectedSize }

    /// Validates in the documented order and gives the Swift attributes.
    package func validated(forMemory: Bool) throws(NTStatus) -> WdfAttributes {
        guard sizeIsValid else { throw .infoLengthMismatch }
        if let context, context.sizeField != context.expectedSizeField { throw .infoLengthMismatch }
        if let context, context.contextSize != 0, !context.hasName { throw .wdfObjectAttributesInvalid }
        guard let executionLevel = ExecutionLevel(rawValue: executionLevel),
            let synchronizationScope = SynchronizationScope(rawValue: synchronizationScope)
        else { throw .wdfObjectAttributesInvalid }
        var attributes = WdfAttributes(
            parent: parent, cleanup: cleanup, destroy: destroy,
            context: context.map { ContextType(key: $0.key, size: $0.contextSize, name: $0.name) })
        if contextSizeOverride != 0, context == nil { throw .wdfObjectAttributesInvalid }
        attributes.contextSizeOverride = contextSizeOverride
        attributes.executionLevel = executionLevel
        attributes.synchronizationScope = synchronizationScope
        try attributes.validate(forMemory: forMemory)
        return attributes
    }
}

/// `WDF_OBJECT_CONTEXT_TYPE_INFO` as C code declares it.
package struct RawContextType: Sendable {
    package var sizeField: UInt32
    package var expectedSizeField: UInt32
    package var hasName: Bool
    package var name: String
    package var contextSize: Int
    /// The lookup key: `UniqueType` when set, else the structure's own address.
    package var key: UInt

    package init(sizeField: UInt32, expectedSizeField: UInt32, hasName: Bool, name: String, contextSize: Int, key: UInt) {
        self.sizeField = sizeField
        self.expectedSizeField = expectedSizeField
        self.hasName = hasName
        self.name = name
        self.contextSize = contextSize
        self.key = key
    }
}
