// C exports: IRQL, bug checks, raises. Each converts its arguments, calls the Swift layer, and
// converts the result; nothing else happens here.
public import CWdf
import NtKernel

@c @implementation
public func KeGetCurrentIrql() -> KIRQL { Irql.current.rawValue }

@c @implementation
public func KeRaiseIrql(_ NewIrql: KIRQL, _ OldIrql: PKIRQL!) {
    let old = Irql.raise(to: Irql(rawValue: NewIrql))
    OldIrql?.pointee = old.rawValue
}

@c @implementation
public func KeLowerIrql(_ NewIrql: KIRQL) { Irql.lower(to: Irql(rawValue: NewIrql)) }

@c @implementation
public func KeRaiseIrqlToDpcLevel() -> KIRQL { Irql.raiseToDispatch().rawValue }

@c @implementation
public func KeBugCheckEx(
    _ BugCheckCode: ULONG, _ BugCheckParameter1: ULONG_PTR, _ BugCheckParameter2: ULONG_PTR,
    _ BugCheckParameter3: ULONG_PTR, _ BugCheckParameter4: ULONG_PTR
) -> Never {
    BugCheck.raise(
        NtKernel.BugCheckCode(rawValue: BugCheckCode), BugCheckParameter1, BugCheckParameter2, BugCheckParameter3,
        BugCheckParameter4, "KeBugCheckEx called by the driver")
}

@c @implementation
public func ExRaiseStatus(_ Status: NTSTATUS) -> Never {
    BugCheck.raiseStatus(NTStatus(rawValue: Status), in: "ExRaiseStatus")
}
