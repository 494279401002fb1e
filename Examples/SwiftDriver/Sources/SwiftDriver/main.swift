import NtKernel
import Wdf

// What each request carries: any Swift type (a String is stored out of line).
struct RequestState {
    var client: String
    var bytesServed = 0
}

/// The request handler: every buffer it takes is parented to the request, so when the request
/// goes, its buffers go with it; nothing here can leak or be deleted twice.
func handle(_ request: borrowing WdfRequest, buffers: WdfLookaside, payload: [UInt8]) throws(NTStatus) -> Int {
    let header = try buffers.makeMemory(parent: request)
    try header.store(UInt32(payload.count), atByteOffset: 0)
    let body = try buffers.makeMemory(parent: request)
    try body.copy(from: payload)
    let served = try header.load(UInt32.self) + UInt32(try body.copyBytes(in: 0..<payload.count).count)
    request.withContext(RequestState.self) { $0.bytesServed += Int(served) }
    return Int(served)
}

// A driver with both verifiers on: leaks are reported at unload.
let driver = try WdfDriver.load(
    service: "SwiftExample", poolTag: "SwEx",
    frameworkVerifier: FrameworkVerifierSettings(verifierOn: true),
    driverVerifier: DriverVerifierSettings(level: [.poolTracking]))

/// Serves requests from several tasks sharing one lookaside list; each task has its own
/// requests. The list ends with this function, before the driver unloads.
func serve(clients: Int, requestsEach: Int) async throws -> Int {
    let buffers = try WdfLookaside(bufferSize: 256, tag: "SwBf")
    let served = try await withThrowingTaskGroup(of: Int.self) { group in
        for client in 0..<clients {
            group.addTask {
                var total = 0
                for round in 0..<requestsEach {
                    let request = try WdfRequest(attributes: ObjectAttributes(context: RequestState(client: "client \(client)")))
                    total += try handle(request, buffers: buffers, payload: Array(repeating: UInt8(round % 256), count: 100))
                    precondition(request.withContext(RequestState.self) { $0.bytesServed } == 200)
                }
                return total
            }
        }
        var sum = 0
        for try await part in group { sum += part }
        return sum
    }
    print("served \(served) bytes; lookaside hit rate \(buffers.statistics.hitRate)")
    // Tags: what poolmon shows for the list's tag while it lives.
    if let usage = Pool.usage(of: "SwBf") {
        print("tag \(usage.tag): \(usage.nonPagedAllocations) allocations, \(usage.nonPagedBytes) bytes in use")
    }
    return served
}

let served = try await serve(clients: 4, requestsEach: 250)
precondition(served == 4 * 250 * 200)

// Errors name the Swift parameter; nothing here stops the process.
do {
    _ = try LookasideList(entrySize: 64, tag: "SwLl", depth: 5)
} catch {
    print("expected: \(error)")
}
do {
    _ = try PoolBlock(byteCount: 16, tag: "TooLongTag")
} catch {
    print("expected: \(error)")
}

// Pool as the driver's: tracked by Driver Verifier, freed when the owner ends.
let checksum = try driver.run { () throws(NTStatus) -> Int in
    let block = try PoolBlock(byteCount: 64, tag: "SwPb")
    try block.copy(from: [1, 2, 3])
    return try block.copyBytes(in: 0..<3).reduce(0) { $0 + Int($1) }
}
print("checksum \(checksum)")

let status = try driver.unload()
print("unloaded: \(status)")
