/// One node of a gang as it runs on this machine (dev mode with a declared inventory of several nodes).
public struct SlotRank: Sendable, Hashable, Codable {
    /// The node's inventory name.
    public var node: String
    /// The GPU indices the slot holds on that node.
    public var gpuIndices: [Int]

    public init(node: String, gpuIndices: [Int]) {
        self.node = node
        self.gpuIndices = gpuIndices
    }
}

extension SlotLaunch {
    /// What to execute: the program, its argv and its environment.
    ///
    /// A slot within one node runs its command with its GPUs in `CUDA_VISIBLE_DEVICES`. A gang (``ranks`` of two or
    /// more) runs one process of the command per node, all on this machine and in the slot's one process group, so
    /// multi-node code can be tried before it reaches a cluster: each gets its rank and the gang's nodes as Slurm
    /// gives them (`SLURM_PROCID`, `SLURM_NODEID`, `SLURMD_NODENAME`, `SLURM_NNODES`, `SLURM_JOB_NODELIST`, and
    /// `SLOTD_RANK`, `SLOTD_NNODES`, `SLOTD_NODELIST`) and its node's GPUs. `/bin/sh` starts them and waits for all;
    /// the slot ends when the last ends, with the first failure's status. Time limits and stops reach every rank
    /// through the process group (or the unit).
    public func execution(program: String) -> (program: String, arguments: [String], environment: [String: String]) {
        var environment = self.environment
        environment["CUDA_VISIBLE_DEVICES"] = gpuIndices.map(String.init).joined(separator: ",")
        guard ranks.count > 1 else { return (program, command, environment) }
        let nodes = ranks.map(\.node).joined(separator: ",")
        for (name, value) in [
            ("SLOTD_NNODES", "\(ranks.count)"), ("SLURM_NNODES", "\(ranks.count)"),
            ("SLURM_JOB_NUM_NODES", "\(ranks.count)"), ("SLOTD_NODELIST", nodes), ("SLURM_JOB_NODELIST", nodes),
        ] {
            environment[name] = value
        }
        environment["SLOTD_GANG_RANKS"] = ranks.map {
            "\($0.node)=" + $0.gpuIndices.map(String.init).joined(separator: ",")
        }.joined(separator: ";")
        return ("/bin/sh", ["sh", "-c", Self.gangScript, "slotd-gang", program] + command.dropFirst(), environment)
    }

    /// Starts `"$@"` once per entry of `SLOTD_GANG_RANKS` (`node=gpus;...`) and exits with the first failure.
    static let gangScript = """
        set -f
        pids=
        rank=0
        IFS=';'
        for entry in $SLOTD_GANG_RANKS; do
          IFS=' '
          SLOTD_RANK=$rank SLURM_PROCID=$rank SLURM_NODEID=$rank SLURMD_NODENAME=${entry%%=*} \\
            CUDA_VISIBLE_DEVICES=${entry#*=} "$@" &
          pids="$pids $!"
          rank=$((rank + 1))
        done
        IFS=' '
        status=0
        for pid in $pids; do
          wait "$pid" || { code=$?; [ "$status" -ne 0 ] || status=$code; }
        done
        exit "$status"
        """
}
