import Testing
import TestSupport
import NtKernel

@Suite("Kernel time, thread identity and critical regions")
struct TimeAndThreadTests {
    @Test("system time counts 100-ns units since 1601; the clocks agree with each other")
    func clocks() {
        // 2020-01-01T00:00:00Z as Windows system time.
        #expect(KernelTime.systemTime > 132_223_104_000_000_000)
        let interrupt = KernelTime.interruptTime
        let ticks = KernelTime.tickCount
        #expect(KernelTime.timeIncrement == 156_250)
        #expect(UInt64(ticks) * UInt64(KernelTime.timeIncrement) <= KernelTime.interruptTime)
        #expect(interrupt - UInt64(ticks) * UInt64(KernelTime.timeIncrement) < UInt64(KernelTime.timeIncrement) * 2)
        let before = KernelTime.performanceCounter
        KernelTime.stall(microseconds: 2_000)
        let elapsed = KernelTime.performanceCounter - before
        #expect(elapsed >= 2_000 * KernelTime.performanceFrequency / 1_000_000)
        #expect(KernelTime.interruptTime >= interrupt + 20_000)
    }

    @Test("thread ids and thread objects differ per thread and stay the same within one")
    func identity() {
        let id = KernelThread.currentThreadId
        let thread = UInt(bitPattern: KernelThread.currentThread)
        #expect(id % 4 == 0 && id != 0)
        #expect(KernelThread.currentThreadId == id)
        #expect(UInt(bitPattern: KernelThread.currentThread) == thread)
        #expect(KernelThread.currentProcessId == 4)
        let process = UInt(bitPattern: KernelThread.currentProcess)
        let otherId = Thread2.start { Int(bitPattern: KernelThread.currentThreadId) }
        let otherThread = Thread2.start { Int(bitPattern: UInt(bitPattern: KernelThread.currentThread)) }
        let sameProcess = Thread2.start { UInt(bitPattern: KernelThread.currentProcess) == process ? 1 : 0 }
        #expect(UInt(bitPattern: otherId.join()) != id)
        #expect(UInt(bitPattern: otherThread.join()) != thread)
        #expect(sameProcess.join() == 1)
        #expect(KernelThread.activeProcessorCount >= 1)
        #expect(KernelThread.currentProcessorNumber < KernelThread.activeProcessorCount)
    }

    @Test("critical regions nest per thread")
    func criticalRegions() {
        #expect(!KernelThread.areApcsDisabled)
        KernelThread.enterCriticalRegion()
        KernelThread.enterCriticalRegion()
        let otherSees = Thread2.start { KernelThread.areApcsDisabled ? 1 : 0 }
        #expect(otherSees.join() == 0)
        KernelThread.leaveCriticalRegion()
        #expect(KernelThread.areApcsDisabled)
        KernelThread.leaveCriticalRegion()
        #expect(!KernelThread.areApcsDisabled)
        Irql.withRaised(to: .apc) { KernelThread.enterCriticalRegion() }
        KernelThread.leaveCriticalRegion()
    }

    @Test("leaving a critical region never entered stops with APC_INDEX_MISMATCH")
    func unbalancedLeave() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            KernelThread.leaveCriticalRegion()
        }
        expectStop(result, code: 0x01, parameter1: 0)
    }

    @Test("entering a critical region at DISPATCH_LEVEL stops with IRQL_NOT_LESS_OR_EQUAL")
    func enterTooHigh() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Irql.raise(to: .dispatch)
            KernelThread.enterCriticalRegion()
        }
        expectStop(result, code: 0x0A, parameter1: 1)
    }
}
