internal import CRuntimeShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A bug-check (stop) code, as `KeBugCheckEx` takes it.
@frozen
@usableFromInline package struct BugCheckCode: RawRepresentable, Hashable, Sendable {
    @usableFromInline package let rawValue: UInt32
    @inlinable package init(rawValue: UInt32) { self.rawValue = rawValue }

    package static let apcIndexMismatch = BugCheckCode(rawValue: 0x01)
    package static let irqlNotGreaterOrEqual = BugCheckCode(rawValue: 0x09)
    package static let irqlNotLessOrEqual = BugCheckCode(rawValue: 0x0A)
    package static let spinLockNotOwned = BugCheckCode(rawValue: 0x10)
    package static let kmodeExceptionNotHandled = BugCheckCode(rawValue: 0x1E)
    package static let specialPoolDetectedMemoryCorruption = BugCheckCode(rawValue: 0xC1)
    package static let badPoolCaller = BugCheckCode(rawValue: 0xC2)
    package static let driverVerifierDetectedViolation = BugCheckCode(rawValue: 0xC4)
    package static let resourceNotOwned = BugCheckCode(rawValue: 0xE3)
    package static let pageFaultInFreedSpecialPool = BugCheckCode(rawValue: 0xCC)
    package static let pageFaultBeyondEndOfAllocation = BugCheckCode(rawValue: 0xCD)
    package static let wdfViolation = BugCheckCode(rawValue: 0x10D)

    /// The symbolic name printed on the second line of a stop.
    package var name: String {
        switch self {
        case .apcIndexMismatch: "APC_INDEX_MISMATCH"
        case .irqlNotGreaterOrEqual: "IRQL_NOT_GREATER_OR_EQUAL"
        case .irqlNotLessOrEqual: "IRQL_NOT_LESS_OR_EQUAL"
        case .spinLockNotOwned: "SPIN_LOCK_NOT_OWNED"
        case .kmodeExceptionNotHandled: "KMODE_EXCEPTION_NOT_HANDLED"
        case .specialPoolDetectedMemoryCorruption: "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION"
        case .badPoolCaller: "BAD_POOL_CALLER"
        case .resourceNotOwned: "RESOURCE_NOT_OWNED"
        case .pageFaultInFreedSpecialPool: "PAGE_FAULT_IN_FREED_SPECIAL_POOL"
        case .pageFaultBeyondEndOfAllocation: "PAGE_FAULT_BEYOND_END_OF_ALLOCATION"
        case .driverVerifierDetectedViolation: "DRIVER_VERIFIER_DETECTED_VIOLATION"
        case .wdfViolation: "WDF_VIOLATION"
        default: "BUGCHECK_0x" + hexDigits(UInt64(rawValue), width: 8)
        }
    }
}

/// `BAD_POOL_CALLER` parameter 1 values this runtime raises.
package enum BadPoolCallerReason: UInt, Sendable {
    /// Freeing a block that is already free.
    case doubleFree = 0x07
    /// Allocating at an IRQL above the pool type's limit (p2 IRQL, p3 pool type, p4 size).
    case allocateAtBadIrql = 0x08
    /// Freeing at an IRQL above the pool type's limit (p2 IRQL, p3 pool type, p4 address).
    case freeAtBadIrql = 0x09
    /// `ExFreePoolWithTag` with a tag that does not match the block's (p2 address, p3 block tag,
    /// p4 tag passed).
    case wrongTag = 0x0A
    /// Freeing an address that is not the start of a pool block (p2 address).
    case invalidAddress = 0x99
    /// Asking for must-succeed pool (p2 pool type, p3 size, p4 tag).
    case mustSucceed = 0x9A
    /// An invalid pool type (p2 pool type, p3 size, p4 tag).
    case invalidPoolType = 0x9B
}

/// Stops the process the way Windows stops the machine.
///
/// Flushes standard output, then prints to standard error the stop line
/// `*** STOP: 0x%08X (0x%016llX,0x%016llX,0x%016llX,0x%016llX)`, the code's name, a one-line
/// explanation naming the routine, and `  at <site>`: the driver's frame that called into the
/// library (see ``CallStack``); then calls `abort()` with SIGABRT's default action (the Swift
/// backtracer does not run, so a stop in a terminal never waits at its prompt). Corresponds to
/// `KeBugCheckEx`.
@usableFromInline package enum BugCheck {
    package static func raise(
        _ code: BugCheckCode,
        _ parameter1: UInt = 0, _ parameter2: UInt = 0, _ parameter3: UInt = 0, _ parameter4: UInt = 0,
        _ explanation: String, site: CallStack? = nil
    ) -> Never {
        MonitorHook.bugCheckBegins()
        let stack = site ?? CallStack.capture()
        let parameters = [parameter1, parameter2, parameter3, parameter4]
            .map { "0x" + hexDigits(UInt64($0), width: 16) }
            .joined(separator: ",")
        let text = "*** STOP: 0x\(hexDigits(UInt64(code.rawValue), width: 8)) (\(parameters))\n"
            + "\(code.name)\n\(explanation)\n  at \(stack.site)\n"
        SystematicLowResources.writeSites()
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { nt_stop_process($0.baseAddress!, UInt($0.count)) }
        }
    }

    /// A pool bug check: `BAD_POOL_CALLER` with `reason` as parameter 1.
    package static func badPoolCaller(
        _ reason: BadPoolCallerReason, _ parameter2: UInt = 0, _ parameter3: UInt = 0, _ parameter4: UInt = 0,
        _ explanation: String
    ) -> Never {
        raise(.badPoolCaller, reason.rawValue, parameter2, parameter3, parameter4, explanation)
    }

    /// A routine called above the IRQL its page allows: `IRQL_NOT_LESS_OR_EQUAL`, parameter 2 the
    /// current IRQL, parameter 1 the routine's limit.
    @usableFromInline package static func irqlTooHigh(_ routine: String, limit: Irql, current: Irql) -> Never {
        raise(
            .irqlNotLessOrEqual, UInt(limit.rawValue), UInt(current.rawValue), 0, 0,
            "\(routine) called at IRQL \(current.rawValue); it may be called at IRQL <= \(limit.name) only"
        )
    }

    /// `ExRaiseStatus`: a structured exception with nothing to catch it. Rendered as
    /// `KMODE_EXCEPTION_NOT_HANDLED` with the status as parameter 1.
    package static func raiseStatus(_ status: NTStatus, in routine: String) -> Never {
        raise(
            .kmodeExceptionNotHandled, UInt(status.code), 0, 0, 0,
            "\(routine) raised \(status) and no exception handler caught it"
        )
    }
}
