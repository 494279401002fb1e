import Foundation
import NtKernel
import Testing
import TestSupport

/// The pool's address-space reservation: 256 GiB where the system grants it, a smaller region
/// where it does not (a `ulimit -v`, valgrind), and addresses in the span the page map covers but
/// the pool never committed recognized as not the pool's.
@Suite("Pool address space")
struct PoolAddressSpaceTests {
    /// Whether a sanitizer runtime is in the process: AddressSanitizer and ThreadSanitizer reserve
    /// terabytes of shadow memory, so an address-space limit stops them, not the pool.
    static let underSanitizer = ["__asan_init", "__tsan_init", "__msan_init"].contains { (name: String) in
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) != nil
    }

    /// Under an address-space limit that refuses 256 GiB, the pool takes a smaller region and works.
    @Test(.disabled(if: underSanitizer, "a sanitizer's shadow memory needs more address space than the limit"))
    func smallerRegionUnderAnAddressSpaceLimit() async {
        await #expect(processExitsWith: .success) {
            let addressSpace = __rlimit_resource_t(RLIMIT_AS.rawValue)
            var limit = rlimit()
            getrlimit(addressSpace, &limit)
            limit.rlim_cur = 100 << 30
            guard setrlimit(addressSpace, &limit) == 0 else { exit(3) }
            var blocks: [UnsafeMutableRawPointer] = []
            for size in [16, 256, 5000, 1 << 20] {
                guard let block = try? Pool.allocate(.nonPaged, byteCount: size, tag: "TLim") else { exit(4) }
                blocks.append(block)
            }
            guard PoolArena.regionBytes == 64 << 30 else { exit(5) }
            for block in blocks { Pool.free(block, tag: "TLim") }
            exit(0)
        }
    }

    /// A free of an address far past what the pool committed, inside the span its page map
    /// covers, is a bug check (not a fault on an unreadable page map).
    @Test func freeingAnUncommittedAddressInTheRegion() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try! Pool.allocate(.nonPaged, byteCount: 10, tag: "TFar")
            Pool.free(block + (PoolArena.regionBytes - (1 << 20)), tag: "TFar")
        }
        expectStop(result, code: 0xC2, parameter1: 0x99)
    }
}
