/// The Varlink interface definitions slotd serves through `org.varlink.service.GetInterfaceDescription`.
///
/// They are the public contract: field and error names here are what scripts and the Python `varlink` client see.
/// Every member carries a `#` doc comment (a test checks). Times are milliseconds since the Unix epoch.
public enum Interfaces {
    public static let all: [String: String] = [
        "io.slotd.Requests": requests,
        "io.slotd.Accounts": accounts,
        "io.slotd.Policy": policy,
        "io.slotd.System": system,
        "io.slotd.Contests": contests,
        "io.slotd.Reports": reports,
        "io.slotd.Projects": projects,
    ]

    /// Interface names in the order GetInfo lists them.
    public static let names = [
        "org.varlink.service", "io.slotd.Requests", "io.slotd.Accounts", "io.slotd.Policy",
        "io.slotd.System", "io.slotd.Contests", "io.slotd.Reports", "io.slotd.Projects",
    ]

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

    public static let accounts = """
        # Accounts map a Unix user to an applicant category (Art. 26.2). Admins manage them; every change is audited.
        interface io.slotd.Accounts

        # An account.
        type Account (name: string, category: string, createdAt: int)

        # Who the kernel says the caller is, whether they are an admin, and their account.
        method Whoami() -> (user: string, uid: int, gid: int, admin: bool, account: ?Account)

        # Creates an account (admin; reason required).
        method Add(name: string, category: ?string, reason: string) -> (account: Account)

        # Every account (admin).
        method List() -> (accounts: []Account)

        # The user agreement in force (Art. 15.2.5), the notice on automated allocation and how to object
        # (Art. 7.2), and whether the caller has accepted this version. required is false when the policy names none.
        method Agreement() -> (
          required: bool,
          version: ?string,
          hash: ?string,
          text: ?string,
          notice: string,
          accepted: bool,
          acceptedAt: ?int
        )

        # Records that the caller accepts the agreement they read: its version and hash must be those in force.
        method AcceptAgreement(version: string, hash: string) -> (
          required: bool,
          version: ?string,
          hash: ?string,
          text: ?string,
          notice: string,
          accepted: bool,
          acceptedAt: ?int
        )

        # The agreement changed since the caller read it (or the caller has no account); read it again.
        error AgreementMismatch (reason: string, version: string)

        # Changes an account's category (admin; reason required).
        method Update(name: string, category: ?string, reason: string) -> (account: Account)

        # Removes an account (admin; reason required). Its requests stay in the history.
        method Remove(name: string, reason: string) -> (account: Account)

        # No such account.
        error NotFound (reason: string)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed (unknown category, empty reason...).
        error InvalidParameter (parameter: string, reason: string)
        """

    public static let projects = """
        # Projects: an applicant's award of GPU-hours to use within a window, in some sectors, for its members
        # (Art. 25.1, 25.2, 26.2). A request on a project (Submit's project) ranks under the applicant's category, is
        # refused when the window is not open, the sector was not awarded or the award would be exceeded (running
        # slots counted in full), and never outlives the window. Admins create and change projects, with a reason,
        # audited; the PI and members see their projects; nobody else learns that a project exists (Art. 10).
        interface io.slotd.Projects

        # A project. registration (the applicant's registration identifier) is shown to admins only.
        type Project (
          id: string,
          applicant: string,
          applicantKind: string,
          registration: ?string,
          category: string,
          pi: string,
          members: []string,
          sectors: []string,
          purpose: string,
          awardGPUHours: float,
          opens: int,
          closes: int,
          usedGPUHours: float,
          committedGPUHours: float,
          createdAt: int,
          notice: ?string
        )

        # An application for a project. Its filer and admins see it; nobody else. state: pending, approved,
        # declined, or contested (declined, then contested by the applicant). decidedBy is an admin, or
        # policy:<route> for an automatic approval; decision is the reason given.
        type Application (
          id: int,
          project: string,
          filedBy: string,
          applicant: string,
          applicantKind: string,
          registration: string,
          category: string,
          members: []string,
          sectors: []string,
          purpose: string,
          gpuHours: float,
          opens: int,
          closes: int,
          route: ?string,
          state: string,
          filedAt: int,
          decidedBy: ?string,
          decidedAt: ?int,
          decision: ?string,
          contest: ?string
        )

        # Creates a project (admin; reason required). applicantKind is person or organisation; the window is
        # [opens, closes).
        method Create(
          id: string,
          applicant: string,
          applicantKind: string,
          registration: string,
          category: string,
          pi: string,
          members: []string,
          sectors: []string,
          purpose: string,
          awardGPUHours: float,
          opens: int,
          closes: int,
          reason: string
        ) -> (project: Project)

        # The caller's projects (as PI or member); admins: every project.
        method List() -> (projects: []Project)

        # Extends a project's window (closes), tops up its award (addGPUHours) or adds members (admin; reason
        # required; audited).
        method Change(id: string, closes: ?int, addGPUHours: ?float, addMembers: ?[]string, reason: string) -> (
          project: Project
        )

        # Files an application for a project, the caller to be its principal investigator. opens defaults to now. On
        # a route of the policy's that approves automatically (or, without a route, on the first such route it fits),
        # an application that fits is approved at once and the project created; otherwise it waits for an admin.
        # Anyone may apply; at most 5 applications of one user wait at a time.
        method Apply(
          project: string,
          applicant: string,
          applicantKind: string,
          registration: string,
          category: string,
          members: []string,
          sectors: []string,
          purpose: string,
          gpuHours: float,
          opens: ?int,
          closes: int,
          route: ?string
        ) -> (application: Application)

        # The caller's applications, newest first; admins: everyone's. state filters (pending, approved, declined,
        # contested).
        method Applications(state: ?string) -> (applications: []Application)

        # Approves (possibly with fewer gpuHours or an earlier closes) or declines a pending or contested
        # application (admin; reason required, shown to the applicant; audited). Approval creates the project.
        method Decide(id: int, approve: bool, gpuHours: ?float, closes: ?int, reason: string) -> (
          application: Application
        )

        # The applicant contests a declined application, with a reason; it waits for an admin again (Art. 7, 16).
        method ContestDecision(id: int, reason: string) -> (application: Application)

        # No such project (or not one of the caller's).
        error NotFound (reason: string)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """

    public static let policy = """
        # The allocation policy in force: sector and category weights, limits, aging and fair share (Art. 26).
        interface io.slotd.Policy

        # A policy version applied at some time.
        type Version (seq: int, version: string, hash: string, appliedAt: int, appliedBy: string, reason: string)

        # The policy in force and its source text.
        method Get() -> (version: string, hash: string, file: string, source: string)

        # Validates a policy text without applying it.
        method Check(source: string) -> (valid: bool, diagnostics: []string)

        # Applies a policy text (admin; reason required). A policy with errors never replaces the one in force.
        method Apply(source: string, reason: string) -> (version: string, hash: string, file: string, source: string)

        # Every policy applied, oldest first.
        method History() -> (versions: []Version)

        # The policy has errors; nothing changed.
        error Invalid (reason: string)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """

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

    public static let contests = """
        # Contesting a decision (Art. 7.2, 16): the owner of a request contests its rejection or its position, an
        # admin upholds or grants it with a reason, and the owner sees the outcome. Everything is audited (Art. 8).
        interface io.slotd.Contests

        # Open, or decided: upheld (the decision stands) or granted.
        type State (open, upheld, granted)

        # A contest and its decision; seen only by the request's owner and admins.
        type Contest (
          id: int,
          requestID: int,
          account: string,
          kind: string,
          reason: string,
          openedAt: int,
          state: State,
          decidedAt: ?int,
          decidedBy: ?string,
          decision: ?string,
          boost: ?int,
          boostUntil: ?int,
          effect: ?string
        )

        # Contests a pending request's position or a rejected request's rejection (the caller's own request).
        method Open(id: int, reason: string) -> (contest: Contest)

        # The caller's contests (admins with allUsers: everyone's), newest first. Default: every state.
        method List(allUsers: ?bool, states: ?[]State, limit: ?int) -> (contests: []Contest)

        # Decides an open contest (admin; reason required). A grant raises a pending request's priority by boost
        # points until until (each bounded by the policy's [contests] table), or re-queues a rejected request.
        method Resolve(id: int, grant: bool, boost: ?int, until: ?int, reason: string) -> (contest: Contest)

        # No such contest, or no request with this id that the caller may see.
        error NotFound (id: int, reason: string)

        # The caller may not do this (another user's request, or deciding without being an admin).
        error PermissionDenied (reason: string)

        # The request (id) cannot be contested now (a contest on it is open, or it is neither pending nor rejected),
        # or its contest is already decided, or a grant cannot re-queue it (reasons: every rule it still breaks).
        error NotContestable (id: int, reason: string, reasons: ?[]Reason)

        # One reason with a stable code and a human message.
        type Reason (code: string, message: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """

    public static let reports = """
        # Allocation reports (Art. 8, 26.3), rebuilt from the stored history: GPU-hours, waits, rejections, contests
        # and energy over a period, per sector, category, account, project or applicant. Users get their own figures only; groups with
        # fewer accounts than the configured minimum are suppressed in reports over everyone (Art. 10).
        interface io.slotd.Reports

        # One group's figures; every figure is null when the group is suppressed.
        type Group (
          key: string,
          accounts: ?int,
          suppressed: bool,
          requests: ?int,
          gpuHoursGranted: ?float,
          gpuHoursUsed: ?float,
          share: ?float,
          weightShare: ?float,
          started: ?int,
          waitMeanSeconds: ?float,
          waitP95Seconds: ?float,
          rejections: ?[string]int,
          contests: ?[string]int,
          energyKWh: ?float,
          awardGPUHours: ?float,
          awardUsedGPUHours: ?float,
          awardLeftGPUHours: ?float
        )

        # Grouping. project and applicant: requests on no project fall under "(no project)" by project and under
        # their account (a personal applicant) by applicant; award figures cover each project's whole window.
        type By (sector, category, account, project, applicant)

        # One project's award for the public record: no applicant, no person, no project id (Art. 8, 10).
        type AwardRecord (
          category: string,
          sectors: []string,
          awardGPUHours: float,
          usedGPUHours: float,
          opens: int,
          closes: int,
          route: ?string
        )

        # The report over [from, to) (ms since the epoch), grouped by sector (default), category, account, project
        # or applicant. Users get their own requests and those of projects they lead (as PI).
        method Allocation(from: int, to: int, by: ?By) -> (report: (
          from: int,
          to: int,
          by: By,
          scope: string,
          account: ?string,
          minGroupAccounts: int,
          policyVersion: string,
          groups: []Group,
          total: Group
        ))

        # The awards whose window overlaps the calendar year (UTC) and what was used of them, for the operator's
        # public accountability (admin).
        method Awards(year: int) -> (awards: []AwardRecord)

        # The caller may not do this (no account, or a report by account over everyone without being an admin).
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
