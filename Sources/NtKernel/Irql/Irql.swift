public import CRuntimeShims
/// An interrupt request level. Each thread has its own, `passive` when it starts.
///
/// Corresponds to the C type `KIRQL` and the constants `PASSIVE_LEVEL`, `APC_LEVEL` and
/// `DISPATCH_LEVEL`.
@frozen
public struct Irql: RawRepresentable, Hashable, Comparable, Sendable {
    /// The level as the C `KIRQL` holds it.
    public let rawValue: UInt8
    /// A level from its C value. Corresponds to `KIRQL`.
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    // Computed, not stored: a stored static of a struct is a lazily initialized global, and
    // reading one from another module costs a call per use.
    /// `PASSIVE_LEVEL` (0).
    @inlinable public static var passive: Irql { Irql(rawValue: 0) }
    /// `APC_LEVEL` (1).
    @inlinable public static var apc: Irql { Irql(rawValue: 1) }
    /// `DISPATCH_LEVEL` (2).
    @inlinable public static var dispatch: Irql { Irql(rawValue: 2) }

    @inlinable
    /// Orders levels as `KIRQL` values compare.
    public static func < (lhs: Irql, rhs: Irql) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `PASSIVE_LEVEL`, `APC_LEVEL`, `DISPATCH_LEVEL`, or the number for other levels.
    public var name: String {
        switch rawValue {
        case 0: "PASSIVE_LEVEL"
        case 1: "APC_LEVEL"
        case 2: "DISPATCH_LEVEL"
        default: "\(rawValue)"
        }
    }
}

extension Irql {
    /// The calling thread's IRQL. Corresponds to `KeGetCurrentIrql`.
    /// Inlinable: a thread-local load and a byte load (a thread's first call creates its context).
    @inlinable
    public static var current: Irql {
        guard let raw = nt_thread_context_get() else { return .passive }
        return Irql(rawValue: raw.assumingMemoryBound(to: ThreadContext.self).pointee.irql)
    }

    /// Raises the calling thread's IRQL and returns the previous one. Corresponds to
    /// `KeRaiseIrql`; raising to a lower level is bug check `IRQL_NOT_GREATER_OR_EQUAL` (0x09)
    /// with parameter 1 the requested level and parameter 2 the current one.
    @discardableResult
    public static func raise(to newIrql: Irql) -> Irql {
        let context = ThreadContext.current
        let old = Irql(rawValue: context.pointee.irql)
        if newIrql < old {
            BugCheck.raise(
                .irqlNotGreaterOrEqual, UInt(newIrql.rawValue), UInt(old.rawValue), 0, 0,
                "KeRaiseIrql to \(newIrql.name) while at \(old.name): the new IRQL is lower"
            )
        }
        context.pointee.irql = newIrql.rawValue
        return old
    }

    /// Lowers the calling thread's IRQL. Corresponds to `KeLowerIrql`; lowering to a higher
    /// level is bug check `IRQL_NOT_LESS_OR_EQUAL` (0x0A) with parameter 1 the requested level and
    /// parameter 2 the current one.
    public static func lower(to newIrql: Irql) {
        let context = ThreadContext.current
        let old = Irql(rawValue: context.pointee.irql)
        if newIrql > old {
            BugCheck.raise(
                .irqlNotLessOrEqual, UInt(newIrql.rawValue), UInt(old.rawValue), 0, 0,
                "KeLowerIrql to \(newIrql.name) while at \(old.name): the new IRQL is higher"
            )
        }
        context.pointee.irql = newIrql.rawValue
    }

    /// Raises to `DISPATCH_LEVEL` and returns the previous level. Corresponds to
    /// `KeRaiseIrqlToDpcLevel`.
    @discardableResult
    public static func raiseToDispatch() -> Irql { raise(to: .dispatch) }

    /// Runs `body` at `level` and comes back to the current level afterwards, even if it throws.
    public static func withRaised<Result, Failure: Error>(
        to level: Irql, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let old = raise(to: level)
        defer { lower(to: old) }
        return try body()
    }

    /// Bug checks with `IRQL_NOT_LESS_OR_EQUAL` when the caller runs above `limit`.
    @inlinable
    static func require(atMost limit: Irql, current: UInt8, routine: StaticString) {
        if current > limit.rawValue {
            BugCheck.irqlTooHigh("\(routine)", limit: limit, current: Irql(rawValue: current))
        }
    }
}
