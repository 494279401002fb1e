internal import CRuntimeShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A DDI compliance rule Driver Verifier checks while a driver runs. A violation stops with
/// `DRIVER_VERIFIER_DETECTED_VIOLATION` (0xC4), parameter 1 the rule's id, parameter 2 the address
/// of a NUL-terminated text stating the violated condition, parameters 3 and 4 zero: Windows'
/// form for DDI compliance stops.
///
/// Windows documents run-time ids for its WDM rules (0x0002xxxx) and KS rules (0x0008xxxx) but
/// none for the KMDF rules; these use 0x0009xxxx, the next ___domain, and are this runtime's choice.
package enum DdiRule: UInt, Sendable {
    /// `KmdfIrql` / `KmdfIrql2`: a framework method called above its maximum IRQL.
    case kmdfIrql = 0x0009_1001
    /// `DriverCreate`: `WdfDriverCreate` called anywhere but inside the driver's `DriverEntry`.
    case driverCreate = 0x0009_1002

    /// The rule's name as the WDK's DDI compliance rules spell it.
    package var name: String {
        switch self {
        case .kmdfIrql: "KmdfIrql"
        case .driverCreate: "DriverCreate"
        }
    }
}

/// Run-time DDI compliance checks and force IRQL checking (`VerifyDriverLevel` 0x2).
///
/// What each check costs when its setting is off: framework methods read the calling driver's
/// settings, which their general paths already hold (their inline paths are not taken for a driver
/// with 0x2: see `VerifierSettings`); kernel routines read one process-wide word
/// (`nt_force_irql_active`), non-zero only while a loaded driver has 0x2.
package enum DdiCompliance {
    /// Stops the process for a violation of `rule` (see ``DdiRule``).
    package static func violation(_ rule: DdiRule, _ condition: String) -> Never {
        // Parameter 2 points at the condition's text, as on Windows; the process ends, so the
        // copy is never freed.
        let text = strdup(condition)
        BugCheck.raise(
            .driverVerifierDetectedViolation, rule.rawValue, UInt(bitPattern: text), 0, 0,
            "DDI compliance rule \(rule.name) (0x\(String(rule.rawValue, radix: 16, uppercase: true))) violated: \(condition)")
    }

    /// The `KmdfIrql` rule for a framework method whose driver has force IRQL checking on:
    /// called above `limit`, the process stops (0xC4, ``DdiRule/kmdfIrql``).
    package static func requireFrameworkIrql(atMost limit: Irql, routine: StaticString) {
        let current = Irql.current
        guard current > limit else { return }
        violation(.kmdfIrql, "\(routine) should only be called at IRQL <= \(limit.name); it was called at \(current.name)")
    }

    /// Whether force IRQL checking (0x2) is on for the driver whose code the calling thread runs
    /// (the thread's driver, else the most recently loaded one). One relaxed load when no loaded
    /// driver has it.
    package static var forcesIrqlChecking: Bool {
        guard nt_force_irql_active() != 0 else { return false }
        return DriverVerifier.current()?.settings.level.contains(.forceIrqlChecking) == true
    }

    /// A kernel routine's IRQL limit, checked only under force IRQL checking (routines whose
    /// limit Windows checks always, such as the pool's, check it themselves): above `limit`,
    /// `IRQL_NOT_LESS_OR_EQUAL` (0x0A), parameter 1 the limit, parameter 2 the current IRQL, as the
    /// kernel's other IRQL stops here.
    package static func requireKernelIrql(atMost limit: Irql, routine: StaticString) {
        guard nt_force_irql_active() != 0 else { return }
        checkKernelIrql(atMost: limit, routine: routine)
    }

    @inline(never)
    static func checkKernelIrql(atMost limit: Irql, routine: StaticString) {
        let current = Irql.current
        guard current > limit, forcesIrqlChecking else { return }
        BugCheck.irqlTooHigh("\(routine)", limit: limit, current: current)
    }
}
