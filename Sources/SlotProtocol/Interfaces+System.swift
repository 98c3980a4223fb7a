// The IDL text of one part of the public contract (see `Interfaces.swift`).

extension Interfaces {
    public static let system = """
        # The daemon itself: status, resources, the audit trail, backups, and protocol errors.
        interface io.slotd.System

        # One node of the inventory and what is free on it now.
        # One node; gpuType is its GPUs' model (absent on a node without GPUs).
        type Node (
          name: string,
          gpus: int,
          cpus: int,
          memoryMiB: int,
          freeGPUs: int,
          freeCPUs: int,
          freeMemoryMiB: int,
          gpuType: ?string,
          # draining (runs what it has, takes nothing new) or down (its slots were lost); absent: up.
          state: ?string,
          # Why, as the admin or the executor said it.
          stateReason: ?string
        )

        # One audit record; hash chains it to the record before (Art. 8).
        type AuditEntry (
          seq: int,
          at: int,
          actor: string,
          actorUID: int,
          action: string,
          target: string,
          reason: string,
          detail: string,
          hash: string
        )

        # Version, mode, queue sizes, the policy in force, the last refused reload's error, how the executor
        # confines slots here (namespaces, cgroups, limits) in one line, and, while the database cannot be written,
        # why (storeError: no slot is granted and no change accepted meanwhile).
        method Status() -> (
          version: string,
          mode: string,
          executor: string,
          startedAt: int,
          pending: int,
          running: int,
          policyVersion: string,
          policyHash: string,
          policyFile: string,
          policyError: ?string,
          nodes: int,
          gpus: int,
          freeGPUs: int,
          confinement: ?string,
          storeError: ?string,
          # While the cluster slots run on (Slurm's controller) cannot be reached: since when and why; requests
          # are taken and queued, none starts until it answers.
          clusterError: ?string
        )

        # The inventory: every node with its free resources and its state.
        method Resources() -> (nodes: []Node)

        # Sets a node's state (admin; reason required, audited; kept across restarts): draining takes nothing new
        # and lets its slots run out, up takes work again, down loses the slots on it (a gang on all its nodes).
        method SetNodeState(node: string, state: string, reason: string) -> (node: Node)

        # The audit trail, newest first (admin). With verify, the whole hash chain is checked.
        method Audit(limit: ?int, verify: ?bool) -> (entries: []AuditEntry, verified: ?bool, brokenAt: ?int, problem: ?string)

        # An online, consistent copy of the database (admin; reason required). The path must not exist.
        method Backup(path: string, reason: string) -> (path: string, bytes: int)

        # A frame was not a JSON object, or not a valid call. The connection is closed.
        error InvalidFrame (reason: string)

        # A frame was longer than the limit. The connection is closed.
        error FrameTooLarge (reason: string, limit: int)

        # The daemon serves its maximum number of connections. The connection is closed.
        error TooManyConnections (reason: string, limit: int)

        # The daemon is stopping.
        error ShuttingDown (reason: string)

        # Something failed inside the daemon; the call did nothing.
        error InternalError (reason: string)

        # The database cannot be written (full disk, I/O error): no slot is granted and no change accepted until a
        # write succeeds again; reads keep working. The call did nothing.
        error StoreUnavailable (reason: string)

        # The database's or the logs' filesystem has less free space than limits.min_free_disk_mib: no new request
        # is taken. The call did nothing.
        error DiskNearlyFull (reason: string, limit: int)

        # The caller made more calls of an expensive kind (Policy.Check) than its share per minute.
        error RateLimited (reason: string, limit: int)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """

    public static let service = """
        # The Varlink service interface.
        interface org.varlink.service

        # Information about the service.
        method GetInfo() -> (vendor: string, product: string, version: string, url: string, interfaces: []string)

        # The description of an interface.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The interface is not served.
        error InterfaceNotFound (interface: string)

        # The method is not served.
        error MethodNotFound (method: string)

        # The method is declared but not implemented.
        error MethodNotImplemented (method: string)

        # A parameter is missing or has the wrong type.
        error InvalidParameter (parameter: string)

        # The call needs more: true.
        error ExpectedMore ()

        # The caller may not call this method.
        error PermissionDenied ()
        """
}
