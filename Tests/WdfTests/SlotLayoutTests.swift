import Testing
@testable import Wdf

extension WdfSuites {
    /// The memory target (≤ 64 bytes per lookaside memory object beyond its buffer) rests on
    /// these sizes: a 16-byte pool header, the 40-byte slot, and a cold record that such an
    /// object never touches.
    @Suite("Slot layout")
    struct SlotLayoutTests {
        @Test func aSlotIsFortyBytesAndItsColdRecordIsAtAFixedDistance() throws {
            #expect(MemoryLayout<ObjectSlot>.stride == 40)
            #expect(MemoryLayout<ObjectColdSlot>.stride == MemoryLayout<ObjectSlot>.stride)
            let memory = try WdfMemory.create(size: 24)
            defer { memory.delete() }
            let slot = ObjectTable.slot(memory.object.index!)
            #expect(UnsafeMutableRawPointer(slot.cold) - UnsafeMutableRawPointer(slot) == ObjectTable.slotCount * 40)
            #expect(slot.cold.pointee.size == 24)
        }

        @Test func aLookasideMemoryObjectLeavesItsColdRecordEmpty() throws {
            let list = try WdfLookaside.create(bufferSize: 48)
            defer { list.delete() }
            let memory = try list.createMemory()
            let slot = ObjectTable.slot(memory.object.index!)
            #expect(memory.size == 48)
            let cold = UnsafeRawBufferPointer(start: slot.cold, count: MemoryLayout<ObjectColdSlot>.size)
            #expect(cold.allSatisfy { $0 == 0 })
            memory.delete()
        }
    }
}
