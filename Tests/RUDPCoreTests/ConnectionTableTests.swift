import RUDPWire
import Testing

@testable import RUDPCore

/// The open-addressed routing table against a Dictionary model.
@Suite struct ConnectionTableTests {
    @Test("random inserts, lookups and removals agree with a Dictionary", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func agreesWithDictionary(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var table = ConnectionTable()
        var model: [ConnectionID: Int] = [:]
        var live: [ConnectionID] = []
        // Clustered IDs (few distinct low bits) exercise long probe runs and wrap-around; random
        // ones the ordinary case.
        func freshID() -> ConnectionID {
            while true {
                let raw = rng.next() % 4 == 0 ? (rng.next() << 8) | (rng.next() % 4) : rng.next()
                let id = ConnectionID(raw)
                if id != .none && model[id] == nil { return id }
            }
        }
        for step in 0..<20_000 {
            // Phases: grow to a few thousand, shrink to almost nothing, grow again.
            let growing = (step / 5_000) % 2 == 0
            let roll = rng.next() % 100
            if roll < (growing ? 60 : 25) || live.isEmpty {
                let id = freshID()
                let value = Int(rng.next() % 1_000_000)
                table.insert(id, value: value)
                model[id] = value
                live.append(id)
            } else if roll < 90 {
                let index = Int(rng.next() % UInt64(live.count))
                let id = live.swapAt(index)
                #expect(table.remove(id) == model.removeValue(forKey: id), "seed \(seed), step \(step): remove \(id)")
            } else {
                // Overwrite an existing ID.
                let id = live[Int(rng.next() % UInt64(live.count))]
                let value = Int(rng.next() % 1_000_000)
                table.insert(id, value: value)
                model[id] = value
            }
            if step % 97 == 0 {
                #expect(table.count == model.count, "seed \(seed), step \(step)")
                for id in live.suffix(50) { #expect(table.find(id) == model[id], "seed \(seed), step \(step): find \(id)") }
                for _ in 0..<20 {
                    let probe = freshID()
                    #expect(table.find(probe) == nil, "seed \(seed), step \(step): absent \(probe)")
                }
                #expect(table.capacity >= ConnectionTable.minimumCapacity && table.capacity & (table.capacity - 1) == 0)
                #expect(table.count * 2 <= table.capacity, "seed \(seed): more than half full")
            }
        }
        #expect(Dictionary(uniqueKeysWithValues: table.entries.map { ($0.id, $0.value) }) == model, "seed \(seed)")
        // Empty it: it shrinks back to the minimum.
        for id in live { table.remove(id) }
        #expect(table.count == 0 && table.capacity == ConnectionTable.minimumCapacity, "seed \(seed)")
    }

    @Test("the zero ID is never found and removing a missing ID changes nothing")
    func edges() {
        var table = ConnectionTable()
        #expect(table.find(.none) == nil)
        #expect(table.remove(ConnectionID(7)) == nil)
        table.insert(ConnectionID(16), value: 1)  // same home slot as 32 and 48 in 16 slots
        table.insert(ConnectionID(32), value: 2)
        table.insert(ConnectionID(48), value: 3)
        #expect(table.remove(ConnectionID(32)) == 2)
        #expect(table.find(ConnectionID(48)) == 3)
        #expect(table.find(ConnectionID(16)) == 1)
        #expect(table.count == 2)
    }
}

private extension Array where Element == ConnectionID {
    /// Removes the element at `index` by swapping the last one in; returns it.
    mutating func swapAt(_ index: Int) -> ConnectionID {
        let element = self[index]
        self[index] = self[count - 1]
        removeLast()
        return element
    }
}
