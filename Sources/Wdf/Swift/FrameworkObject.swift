import NtKernel

/// What every framework object type of the Swift API shares: the handle of its object, so any of
/// them can be a parent (`ObjectAttributes(parent: request)`).
///
/// **The lifetime model.** A framework object is owned by exactly one Swift value, and the end
/// of that value's lifetime deletes the object (children first, as `WdfObjectDelete` does).
/// Objects one piece of code uses (``WdfMemory``, ``WdfRequest``, ``WdfGenericObject``) are
/// `~Copyable` structures: they cannot be copied, so they cannot be deleted twice, and they
/// cannot be forgotten (leaving scope deletes them; a consuming `delete()` deletes earlier).
/// Objects many tasks share (``WdfLookaside``, ``WdfDriver``) are classes: the last reference
/// going deletes them. An object parented to another is deleted with its parent if that goes
/// first; its owner then only lets go of it (every owner holds a reference on its object, so
/// its handle never names another object). The framework's own objects reach you borrowed.
/// Corresponds to `WDFOBJECT` and its lifetime rules (`WdfObjectDelete`, parent deletion,
/// `WdfObjectReference`/`WdfObjectDereference`).
public protocol FrameworkObject: ~Copyable {
    /// The object's handle (`WDFOBJECT`).
    var object: WdfObject { get }
}

extension FrameworkObject where Self: ~Copyable {
    /// True until the object is deleted, by its owner or with its parent.
    /// Corresponds to no routine (KMDF has none); a deleted object's owner only releases it.
    public var isDeleted: Bool {
        guard let slot = ObjectTable.lookup(object) else { return true }
        return slot.pointee.state.load(ordering: .acquiring) != SlotState.live
    }
}

/// The reference an owner holds on its object, and what its end does: delete the object if it
/// is still live (a parent may have deleted it), then let go.
struct ObjectOwnership: Sendable {
    let object: WdfObject

    /// Takes the owner's reference on a new object.
    init(adopting object: WdfObject) {
        self.object = object
        ObjectLifetime.reference(object, tag: nil, source: .swift(file: #fileID, line: #line), routine: "WdfObjectReferenceActual")
    }

    /// Deletes the object unless it is deleted already, then drops the owner's reference (the
    /// object is destroyed when the last reference goes).
    func end() {
        if let slot = ObjectTable.lookup(object), slot.pointee.state.load(ordering: .acquiring) == SlotState.live {
            ObjectLifetime.delete(object, routine: "WdfObjectDelete")
        }
        ObjectLifetime.dereference(object, tag: nil, source: .swift(file: #fileID, line: #line), routine: "WdfObjectDereferenceActual")
    }
}
