// The IDL text of one part of the public contract (see `Interfaces.swift`).

extension Interfaces {
    public static let requests = """
        # Compute requests: submit, follow, explain and cancel time-limited slots (Art. 25, 26).
        # The caller is identified by the kernel (SO_PEERCRED); no parameter names a user.
        interface io.slotd.Requests

        # A request's lifecycle state.
        type State (pending, running, rejected, cancelled, completed, failed, expired, lost)

        # One reason with a stable code and a human message.
        type Reason (code: string, message: string)

        # A request with every detail; sent only to its owner and to admins (Art. 10).
        type Request (
          id: int,
          state: State,
          account: string,
          uid: int,
          sector: string,
          gpus: int,
          cpus: int,
          memoryMiB: int,
          durationSeconds: int,
          purpose: string,
          command: []string,
          workingDirectory: string,
          submittedAt: int,
          startedAt: ?int,
          endedAt: ?int,
          outcome: ?string,
          exitCode: ?int,
          reasons: ?[]Reason,
          node: ?string,
          gpuIndices: ?[]int,
          logFile: ?string,
          # false: the workload runs with no network (Art. 17.4); absent: it has one.
          network: ?bool,
          # The GPU models the request accepts (any of them); absent: any model.
          gpuTypes: ?[]string,
          # How many nodes the slot spans when more than one (a gang); gpus, cpus and memoryMiB are per node.
          nodes: ?int,
          # A running gang's nodes in rank order (node is the first).
          nodeList: ?[]string,
          # The cluster's job of a slot handed to a cluster (executor slurm: the Slurm job id).
          clusterJob: ?int,
          # What the cluster says of that job now (Get only): its state and, while it waits, Slurm's reason.
          clusterState: ?string
        )

        # Another user's request as anyone may see it: position, class and size only.
        type QueueEntry (
          position: ?int,
          state: State,
          queueClass: string,
          gpus: int,
          cpus: int,
          memoryMiB: int,
          durationSeconds: int,
          mine: bool,
          id: ?int,
          # How many nodes when more than one (a gang; the sizes are per node).
          nodes: ?int,
          # Where a running slot runs, rank order: to admins and the owner only.
          nodeList: ?[]string
        )

        # One term of a priority, with the policy line its weight came from.
        type Term (name: string, points: float, detail: string, source: ?string)

        # Asks for a slot. Acknowledged only after the request is stored durably. The duration defaults to the
        # policy's default (clamped to the category maximum), cpus to 8 per GPU (at least 1), memory to 4 GiB per CPU;
        # the sector may be omitted only when the caller's category allows exactly one. network false runs the
        # workload with no network at all (Art. 17.4); an executor that cannot enforce that refuses to start it.
        # gpuTypes names the GPU models the request accepts (at most 8, e.g. ["h100", "a100"]); absent: any model.
        # A request naming only models no node has is rejected (no-node-with-gpu-type). nodes asks for a gang: that
        # many distinct nodes, started together and ended together, with gpus, cpus and memoryMiB on each (at most
        # 1024 nodes; absent: 1). Without nodes, more GPUs than the largest node has become as few whole nodes as
        # hold them. A gang more nodes than the platform has can hold is rejected (not-enough-nodes).
        method Submit(
          sector: ?string,
          gpus: int,
          cpus: ?int,
          memoryMiB: ?int,
          durationSeconds: ?int,
          purpose: string,
          command: []string,
          workingDirectory: string,
          environment: ?[string]string,
          network: ?bool,
          gpuTypes: ?[]string,
          nodes: ?int,
          project: ?string
        ) -> (request: Request)

        # One of the caller's requests (admins: any request).
        method Get(id: int) -> (request: Request)

        # The caller's requests (admins with allUsers: everyone's), newest first. Default states: pending, running;
        # default limit 1000, at most 1000000. Called with more, the rows come in replies of up to 1000 each, the
        # last without continues; without more, in one reply.
        method List(allUsers: ?bool, states: ?[]State, limit: ?int) -> (requests: []Request)

        # The whole queue in the order it is served, others anonymised.
        method Queue(limit: ?int) -> (pending: int, running: int, entries: []QueueEntry)

        # Cancels a pending request or stops a running slot.
        method Cancel(id: int) -> (request: Request)

        # Why the request has its priority, where it stands, every reason it is not running, and when it should start.
        method Explain(id: int) -> (
          id: int,
          state: State,
          priority: ?float,
          terms: []Term,
          position: ?int,
          positionInClass: ?int,
          queueClass: ?string,
          reasons: []Reason,
          estimatedStart: ?int,
          estimateNote: string
        )

        # The workload's output (stdout and stderr) from byte offset on, at most 256 KiB per call; ended is true
        # once the request has ended and everything was read.
        method Logs(id: int, offset: ?int) -> (data: string, offset: int, ended: bool)

        # Streams state changes (call with more): of one request, or of all the caller's requests.
        method Watch(id: ?int) -> (request: Request)

        # No request with this id that the caller may see.
        error NotFound (id: int, reason: string)

        # The caller may not do this (another user's request, or an admin action).
        error PermissionDenied (reason: string)

        # The request breaks the policy: every rule it breaks.
        error PolicyViolation (id: ?int, reason: string, reasons: []Reason)

        # The caller has no account.
        error NoAccount (reason: string, user: string, hint: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)

        # The caller's account has not accepted the current user agreement (Art. 15.2.5); nothing was stored.
        error AgreementRequired (reason: string, version: string, hint: string)

        # The caller already has its maximum number of pending requests (limits.max_pending_per_user); nothing
        # was stored.
        error TooManyPending (reason: string, limit: int)
        """
}
