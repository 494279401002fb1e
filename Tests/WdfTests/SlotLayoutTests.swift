import Testing
import NtKernel
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
            let memory = try WdfMemoryHandle.create(size: 24)
            defer { memory.delete() }
            let slot = ObjectTable.slot(memory.object.index!)
            #expect(UnsafeMutableRawPointer(slot.cold) - UnsafeMutableRawPointer(slot) == ObjectTable.slotCount * 40)
            #expect(slot.cold.pointee.size == 24)
        }

        /// `flagsByte` (the flags without a modifying access to the whole slot) is the flags field.
        @Test func flagsByteIsTheFlagsField() throws {
            let memory = try WdfMemoryHandle.create(poolType: .paged, size: 24)
            defer { memory.delete() }
            let slot = ObjectTable.slot(memory.object.index!)
            #expect(slot.flagsByte.pointee == slot.pointee.flags)
            #expect(slot.pointee.flags & ObjectFlags.passiveOnly != 0)
            slot.flagsByte.pointee ^= 0x80
            #expect(slot.pointee.flags & 0x80 != 0)
            slot.flagsByte.pointee ^= 0x80
        }

        /// The table starts a quarter of the way predictor's period past the pool's phase (see
        /// `ObjectTable.makeChunk`): the first slots never evict the first pool blocks.
        @Test func theTableKeepsItsDistanceFromThePool() throws {
            let memory = try WdfMemoryHandle.create(size: 24)
            defer { memory.delete() }
            let period = PoolArena.wayPredictorPeriod
            let table: UnsafeMutableRawPointer = try #require(ObjectTable.base)
            let pool: UnsafeMutableRawPointer = try #require(PoolArena.base)
            #expect((Int(bitPattern: table) &- Int(bitPattern: pool)) & (period - 1) == period / 4)
        }

        @Test func aLookasideMemoryObjectLeavesItsColdRecordEmpty() throws {
            let list = try WdfLookasideHandle.create(bufferSize: 48)
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
