import SlotDaemon
import XCTest

/// GPU detection reads `nvidia-smi -L`; this machine has no GPU, so the parser is checked on real output lines.
final class InventoryDetectionTests: XCTestCase {
    /// Invariant: every `GPU N: MODEL (UUID: ...)` line gives GPU N with its model; other lines are ignored.
    func testParsesNvidiaSMIList() {
        let output = """
            GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1f3c0e52-7a1b-4c1e-9d55-2b9f0c3e8a11)
            GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-8e2d4a10-3b7c-4f2a-a1d9-6c5e7f9b0d22)
              MIG 1g.10gb     Device  0: (UUID: MIG-5c9a...)
            GPU 12: NVIDIA A100-SXM4-40GB (UUID: GPU-00000000-0000-0000-0000-000000000000)
            """
        let gpus = InventoryDetection.parseNvidiaSMI(output)
        XCTAssertEqual(gpus.map(\.index), [0, 1, 12])
        XCTAssertEqual(gpus.map(\.model), ["NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"])
    }

    /// Invariant: a declared inventory overrides detection; a malformed one is a named error, not a guess.
    func testDeclaredInventory() throws {
        let declared = try InventoryDetection.inventory("2x4:32:256")
        XCTAssertEqual(declared.nodes.count, 2)
        XCTAssertEqual(declared.totalGPUs, 8)
        XCTAssertThrowsError(try InventoryDetection.inventory("lots of GPUs"))
    }
}
