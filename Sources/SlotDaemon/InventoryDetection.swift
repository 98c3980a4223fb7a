import Foundation
import SlotCore

#if canImport(Glibc)
    import Glibc
#endif

/// Finds what this machine has: GPUs from `nvidia-smi -L` (or `/dev/nvidiaN` when it is missing), CPUs from the
/// scheduler affinity, memory from `/proc/meminfo`. A declared inventory in the config overrides detection.
public enum InventoryDetection {
    public static func inventory(_ spec: String) throws(ConfigError) -> Inventory {
        if spec != "detect", spec != "slurm" {
            guard let declared = Inventory(spec: spec) else {
                throw .inventory("'\(spec)' is not COUNTxGPUS[:CPUS[:MEMORY_GIB]] (e.g. 1x8:64:512) or \"detect\"")
            }
            return declared
        }
        let host = ProcessInfo.processInfo.hostName
        return Inventory(nodes: [
            Node(
                name: host.isEmpty ? "node0" : host, gpus: gpus(), cpus: cpus(),
                memoryMiB: memoryMiB())
        ])
    }

    static func cpus() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    static func memoryMiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else {
            return Int(ProcessInfo.processInfo.physicalMemory >> 20)
        }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kib / 1_024
        }
        return Int(ProcessInfo.processInfo.physicalMemory >> 20)
    }

    /// `nvidia-smi -L` lines look like `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)`.
    static func gpus() -> [GPU] {
        if let output = run("/usr/bin/nvidia-smi", ["-L"]) {
            let found = parseNvidiaSMI(output)
            if !found.isEmpty { return found }
        }
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return devices.compactMap { name -> Int? in
            guard name.hasPrefix("nvidia"), let index = Int(name.dropFirst("nvidia".count)) else { return nil }
            return index
        }.sorted().map { GPU(index: $0) }
    }

    public static func parseNvidiaSMI(_ output: String) -> [GPU] {
        output.split(separator: "\n").compactMap { line -> GPU? in
            guard line.hasPrefix("GPU "), let colon = line.firstIndex(of: ":"),
                let index = Int(line[line.index(line.startIndex, offsetBy: 4)..<colon])
            else { return nil }
            var model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if let paren = model.range(of: " (UUID") { model = String(model[..<paren.lowerBound]) }
            return GPU(index: index, model: model)
        }
    }

    private static func run(_ path: String, _ arguments: [String]) -> String? {
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
