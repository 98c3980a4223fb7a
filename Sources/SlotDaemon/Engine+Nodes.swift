import Foundation
import Logging
import SlotCore
import SlotProtocol
import SlotSlurm
import SlotStore

/// Nodes' states: an admin drains a node for repair (it runs what it has and takes nothing new), resumes it, or
/// marks it down (its slots are lost). Each change is audited and kept across restarts.
extension Engine {
    func setNodeState(_ p: NodeStateParameters, _ caller: Caller) throws(WireError) -> NodeInfo {
        let i = WireError.Interface.system
        try Self.requireReason(p.reason, i)
        try requireWritable()
        guard let condition = NodeCondition(rawValue: p.state) else {
            throw .invalid(i, parameter: "state", "one of up, draining, down")
        }
        guard let index = nodeNames.firstIndex(of: p.node) else {
            let names = nodeNames.count <= 8 ? nodeNames.joined(separator: ", ") : "see slotctl resources"
            throw .invalid(i, parameter: "node", "no node '\(p.node)' (nodes: \(names))")
        }
        let before = scheduler.nodeConditions[index]
        let note = StoredNodeState(
            name: p.node, state: condition.rawValue, reason: p.reason, changedAt: now, changedBy: caller.user)
        do {
            try store.setNodeState(
                note,
                audit: audit(
                    caller, "node.\(condition.rawValue)", "node \(p.node)", p.reason,
                    "\(before.rawValue) -> \(condition.rawValue)"))
        } catch { throw .storeUnavailable("\(error)") }
        nodeNotes[index] = condition == .up ? nil : note
        perform(scheduler.handle(.nodeCondition(node: index, condition), now: now))
        logger.notice("node \(p.node): \(before.rawValue) -> \(condition.rawValue) by \(caller.user): \(p.reason)")
        return nodeInfo(index)
    }

    /// Applies the node states kept in the store (at start, after running slots were re-adopted).
    func restoreNodeStates(_ notes: [StoredNodeState]) {
        for note in notes {
            guard let index = nodeNames.firstIndex(of: note.name), let condition = NodeCondition(rawValue: note.state)
            else {
                logger.warning("node state for '\(note.name)' ignored: no such node in the inventory, or bad state")
                continue
            }
            nodeNotes[index] = note
            perform(scheduler.handle(.nodeCondition(node: index, condition), now: now))
        }
    }

    /// One node as `Resources` shows it: size, what is free, its model and its state.
    func nodeInfo(_ index: Int) -> NodeInfo {
        let node = scheduler.inventory.nodes[index]
        let free = scheduler.freeByNode[index]
        let condition = scheduler.nodeConditions[index]
        let note = nodeNotes[index].map { "\($0.reason) (\($0.changedBy), \(Timestamp($0.changedAt)))" }
        return NodeInfo(
            name: node.name, gpus: node.gpus.count, cpus: node.cpus, memoryMiB: node.memoryMiB,
            freeGPUs: free.gpus, freeCPUs: free.cpus, freeMemoryMiB: free.memoryMiB, gpuType: node.gpuType,
            state: condition == .up ? nil : condition.rawValue, stateReason: condition == .up ? nil : note)
    }
}

/// Nodes as the Slurm cluster reports them (executor = "slurm").
extension Engine {
    static func slurmTools(_ config: DaemonConfig) -> SlurmTools {
        SlurmTools(
            directory: config.slurm.toolsDirectory, timeout: Double(config.slurm.commandTimeoutSeconds),
            configuration: config.slurm.configuration)
    }

    /// The nodes of slotd's partition, with their GPUs and types, from `sinfo --json`. Each answer is kept in the
    /// state directory, so a restart while the controller is away starts with the nodes it last reported (and
    /// starts nothing until it answers); with no answer ever kept, slotd cannot start.
    static func slurmInventory(_ config: DaemonConfig, logger: Logger) throws(ConfigError) -> Inventory {
        let kept = config.stateDirectory + "/slurm-inventory.json"
        let nodes: [SlurmNode]
        do { nodes = try SlurmJSON.nodes(try slurmTools(config).run("sinfo", ["--json"])) } catch {
            guard let data = FileManager.default.contents(atPath: kept),
                let inventory = try? JSONDecoder().decode(Inventory.self, from: data)
            else { throw .inventory("cannot read the nodes from Slurm, and none were kept from before: \(error)") }
            logger.warning(
                "cannot read the nodes from Slurm (\(error)); using the \(inventory.nodes.count) kept in \(kept)")
            return inventory
        }
        guard let (inventory, _) = SlurmJSON.inventory(nodes, partition: config.slurm.partition) else {
            throw .inventory(
                "Slurm has no partition '\(config.slurm.partition)' with nodes ([slurm] partition in slotd.toml)")
        }
        if let data = try? JSONEncoder().encode(inventory) {
            FileManager.default.createFile(atPath: kept, contents: data)
        }
        return inventory
    }

    /// The cluster says node `name` is `state`: it applies unless an admin set the node's state in slotd, which
    /// stays until the admin changes it.
    func clusterNodeState(name: String, state: String, reason: String) {
        guard let index = nodeNames.firstIndex(of: name), let condition = NodeCondition(rawValue: state) else { return }
        guard nodeNotes[index] == nil, scheduler.nodeConditions[index] != condition else { return }
        logger.notice("node \(name): \(scheduler.nodeConditions[index].rawValue) -> \(state) (Slurm: \(reason))")
        perform(scheduler.handle(.nodeCondition(node: index, condition), now: now))
    }
}
