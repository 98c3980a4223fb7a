import SlotCore

/// The tests' seeded generator is the one the simulator uses.
public typealias SeededRandom = SplitMix64
