public import NtKernel

/// A request object owned by Swift: deleted (with every object parented to it, children first)
/// when the owner's lifetime ends or by ``delete()``. A request handler takes it `borrowing` and
/// parents what it allocates to it, so nothing outlives the request:
///
/// ```swift
/// func handle(_ request: borrowing WdfRequest, list: WdfLookaside) throws(NTStatus) {
///     let buffer = try list.makeMemory(parent: request)
///     try buffer.copy(from: [1, 2, 3])
/// }
/// ```
///
/// Corresponds to `WDFREQUEST` (`WdfRequestCreate`, `WdfObjectDelete`).
public struct WdfRequest: ~Copyable, Sendable, FrameworkObject {
    let ownership: ObjectOwnership

    /// The request's handle (`WDFREQUEST`).
    public var object: WdfObject { ownership.object }

    /// Creates a request (parented to the current driver unless `attributes` names a parent).
    /// Corresponds to `WdfRequestCreate(Attributes, NULL, &Request)`.
    /// - Throws: `.insufficientResources`; `.deletePending` when the parent is being deleted.
    public init(attributes: ObjectAttributes = ObjectAttributes()) throws(NTStatus) {
        let object = try createWithAttributes(attributes) { (lowered) throws(NTStatus) in
            try WdfRequestHandle.create(attributes: lowered).object
        }
        ownership = ObjectOwnership(adopting: object)
    }

    deinit { ownership.end() }

    /// Deletes the request and its children now. Corresponds to `WdfObjectDelete`.
    public consuming func delete() {}

    /// Lends the request's context of type `Context` to `body`; nil when it has none.
    /// Corresponds to `WdfObjectGetTypedContext`.
    public func withContext<Context, Result>(_ type: Context.Type, _ body: (inout Context) throws -> Result) rethrows -> Result? {
        try ContextStorage.withContext(object, type, body)
    }
}

/// A general framework object owned by Swift: something to hang a context, callbacks and
/// children on. Deleted (children first) when the owner's lifetime ends or by ``delete()``.
/// Corresponds to a `WDFOBJECT` from `WdfObjectCreate`.
public struct WdfGenericObject: ~Copyable, Sendable, FrameworkObject {
    let ownership: ObjectOwnership

    /// The object's handle (`WDFOBJECT`).
    public var object: WdfObject { ownership.object }

    /// Creates an object. Corresponds to `WdfObjectCreate`.
    /// - Throws: `.insufficientResources`; `.deletePending` when the parent is being deleted.
    public init(attributes: ObjectAttributes = ObjectAttributes()) throws(NTStatus) {
        let object = try createWithAttributes(attributes) { (lowered) throws(NTStatus) in try WdfObject.create(attributes: lowered) }
        ownership = ObjectOwnership(adopting: object)
    }

    deinit { ownership.end() }

    /// Deletes the object and its children now. Corresponds to `WdfObjectDelete`.
    public consuming func delete() {}

    /// Lends the object's context of type `Context` to `body`; nil when it has none.
    /// Corresponds to `WdfObjectGetTypedContext`.
    public func withContext<Context, Result>(_ type: Context.Type, _ body: (inout Context) throws -> Result) rethrows -> Result? {
        try ContextStorage.withContext(object, type, body)
    }
}
