import Testing
import TestSupport
import NtKernel
import Foundation

@Suite("NTSTATUS")
struct StatusTests {
    @Test("named codes have their documented values", arguments: [
        (NTStatus.success, 0x0000_0000 as UInt32), (.moreEntries, 0x0000_0105), (.objectNameExists, 0x4000_0000),
        (.infoLengthMismatch, 0xC000_0004), (.accessViolation, 0xC000_0005), (.invalidParameter, 0xC000_000D),
        (.invalidDeviceRequest, 0xC000_0010), (.bufferTooSmall, 0xC000_0023), (.objectNameInvalid, 0xC000_0033),
        (.quotaExceeded, 0xC000_0044), (.deletePending, 0xC000_0056), (.integerOverflow, 0xC000_0095),
        (.insufficientResources, 0xC000_009A), (.invalidBufferSize, 0xC000_0206), (.notFound, 0xC000_0225),
        (.invalidParameter4, 0xC000_00F2), (.invalidParameter5, 0xC000_00F3), (.invalidParameter8, 0xC000_00F6),
        (.wdfObjectAttributesInvalid, 0xC020_0209), (.wdfSynchronizationScopeInvalid, 0xC020_0210),
        (.wdfExecutionLevelInvalid, 0xC020_0211), (.wdfParentNotSpecified, 0xC020_0212),
        (.wdfParentAlreadyAssigned, 0xC020_020D), (.wdfParentAssignmentNotAllowed, 0xC020_020F),
    ])
    func values(status: NTStatus, code: UInt32) {
        #expect(status.code == code)
        #expect(status.rawValue == Int32(bitPattern: code))
    }

    @Test func successIsNonNegative() {
        #expect(NTStatus.success.isSuccess)
        #expect(NTStatus.moreEntries.isSuccess)
        #expect(NTStatus.objectNameExists.isSuccess)
        #expect(!NTStatus.invalidParameter.isSuccess)
        #expect(!NTStatus(rawValue: -1).isSuccess)
    }

    @Test func readableDescription() {
        #expect(NTStatus.invalidParameter.description == "STATUS_INVALID_PARAMETER (0xC000000D)")
        #expect(NTStatus(code: 0xC0DE_0001).description == "0xC0DE0001")
    }
}

@Suite("IRQL")
struct IrqlTests {
    @Test func raiseAndLowerArePerThread() {
        #expect(Irql.current == .passive)
        let old = Irql.raise(to: .dispatch)
        #expect(old == .passive)
        #expect(Irql.current == .dispatch)
        // Another thread still runs at PASSIVE_LEVEL.
        let seen = OtherThread.run { Irql.current }
        #expect(seen == .passive)
        Irql.lower(to: old)
        #expect(Irql.current == .passive)
        #expect(Irql.raiseToDispatch() == .passive)
        Irql.lower(to: .passive)
        let inside = Irql.withRaised(to: .apc) { Irql.current }
        #expect(inside == .apc)
        #expect(Irql.current == .passive)
    }

    @Test func raisingToALowerLevelStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Irql.raise(to: .dispatch)
            Irql.raise(to: .apc)
        }
        expectStop(result, code: 0x09, parameter1: 1)
        #expect(stopText(result).contains("IRQL_NOT_GREATER_OR_EQUAL"))
    }

    @Test func loweringToAHigherLevelStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Irql.lower(to: .dispatch)
        }
        expectStop(result, code: 0x0A, parameter1: 2)
        #expect(stopText(result).contains("IRQL_NOT_LESS_OR_EQUAL"))
    }

    @Test func raiseStatusIsAnUnhandledException() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            BugCheck.raiseStatus(.quotaExceeded, in: "ExRaiseStatus")
        }
        expectStop(result, code: 0x1E, parameter1: 0xC000_0044)
        #expect(stopText(result).contains("KMODE_EXCEPTION_NOT_HANDLED"))
    }

    @Test func stopLineFormat() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            BugCheck.raise(.wdfViolation, 5, 0xDEAD, 0, 0, "test")
        }
        #expect(stopText(result).hasPrefix(
            "*** STOP: 0x0000010D (0x0000000000000005,0x000000000000DEAD,0x0000000000000000,0x0000000000000000)\nWDF_VIOLATION\ntest\n"))
    }
}
