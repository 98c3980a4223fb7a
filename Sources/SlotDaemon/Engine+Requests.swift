import Foundation
import SlotCore
import SlotProtocol
import SlotSandbox
import SlotStore

/// io.slotd.Requests: submit (with group commit), get, list, queue, cancel, explain.
extension Engine {
    static let maximumCommandBytes = 64 * 1_024
    static let maximumPurposeBytes = 2_000
    static let maximumEnvironment = 256
    /// One environment value, and all names and values together (Linux refuses a single string over 128 KiB at
    /// exec, and every byte is stored): a request that could not start is refused here, not at start.
    static let maximumEnvironmentValueBytes = 32 * 1_024
    static let maximumEnvironmentBytes = 64 * 1_024
    static let maximumPathBytes = 4_096
    /// GPU models one request may name.
    static let maximumGPUTypes = 8
    /// Nodes one gang may span.
    static let maximumNodes = 1_024

    /// Submits waiting for the next group commit (`enqueueSubmit`, `flush`).
    struct GroupCommit {
        var batch: [PendingSubmit] = []
        /// A commit is asked for or in flight.
        var flushing = false
        /// Submits of each uid waiting in `batch` (counted against its pending limit before they are pending).
        var submitsInBatch: [UInt32: Int] = [:]
    }

    /// Validates, stores and queues a request. Returns once the request is committed and the scheduler has seen
    /// it: pending, running, or rejected (thrown as PolicyViolation with every reason, and kept in the history).
    func submit(_ p: SubmitParameters, _ caller: Caller) async throws -> RequestInfo {
        try await enqueueSubmit(p, caller).value
    }

    /// The first half of ``submit(_:_:)``: checks the call and queues it for the next group commit, in the order
    /// of the calls. The returned acknowledgement answers after the commit. A refusal (no account, no agreement,
    /// a malformed request, shutting down) is thrown here, before anything is queued.
    func enqueueSubmit(_ p: SubmitParameters, _ caller: Caller) throws -> Acknowledgement {
        guard acceptingWork else { throw WireError.shuttingDown() }
        guard let account = accounts[caller.user] else { throw WireError.noAccount(user: caller.user) }
        try requireAgreement(account.name)
        try admitNewRequest(caller)
        var p = p
        let project =
            try p.project.map { id throws(WireError) in try projectForSubmit(id, caller) }
            ?? onlyOpenProject(of: caller.user)
        if let project, p.sector == nil, project.sectors.count == 1 { p.sector = project.sectors[0] }
        var request = try makeRequest(p, caller, account: account)
        if let project {
            // Scheduled, ranked and charged as the project: its award, window and the applicant's category.
            request.account = Self.projectAccount(project.id)
            request.category = project.category
        }
        let acknowledgement = Acknowledgement()
        commits.batch.append(PendingSubmit(request: request, acknowledgement: acknowledgement))
        commits.submitsInBatch[caller.uid, default: 0] += 1
        if !commits.flushing {
            commits.flushing = true
            flushes.continuation.yield()  // `runFlushes` commits it
        }
        return acknowledgement
    }

    /// Group commit: every submit that arrived since the last commit is stored in one transaction, then given to
    /// the scheduler in one pass, then acknowledged. No acknowledgement precedes its commit. The engine is free
    /// while a commit is in flight, so the next batch gathers meanwhile; one commit is in flight at a time, so
    /// batches reach the scheduler in the order their requests were numbered.
    func flush() async {
        while !commits.batch.isEmpty {
            let submits = commits.batch
            commits.batch = []
            defer {
                for submit in submits {
                    let uid = UInt32(truncatingIfNeeded: submit.request.uid)
                    let left = commits.submitsInBatch[uid, default: 1] - 1
                    commits.submitsInBatch[uid] = left > 0 ? left : nil
                }
            }
            do {
                try await store.insertAsync(submits.map(\.request))
            } catch {
                logger.error("cannot store \(submits.count) submit(s): \(error)")
                storeWriteFailed(error, keeping: [])
                for submit in submits {
                    submit.acknowledgement.resume(throwing: WireError.storeUnavailable("\(error)"))
                }
                continue
            }
            acknowledge(submits)
        }
        commits.flushing = false
    }

    private func acknowledge(_ submits: [PendingSubmit]) {
        for submit in submits {
            book.pendingRows[submit.request.id] = PendingSummary(submit.request)
            book.submitting[submit.request.id] = submit.request
        }
        let requests = submits.map { Self.schedulerRequest(PendingSummary($0.request)) }
        var rejected: [Int64: [Reason]] = [:]
        perform(scheduler.handle(.submitBatch(requests), now: now), rejected: &rejected)
        book.submitting = [:]
        metrics.submits.increment(by: Int64(submits.count - rejected.count))
        for submit in submits {
            let id = submit.request.id
            if let reasons = rejected[id] {
                submit.acknowledgement.resume(throwing: WireError.policyViolation(id: id, reasons))
            } else {
                let current = book.active[id] ?? submit.request
                // A request the pass started was already announced by `commit`; a pending one is announced here.
                if current.state == .pending { notify(current) }
                submit.acknowledgement.resume(returning: current.info(nodeNames: nodeNames))
            }
        }
    }

    static func schedulerRequest(_ r: PendingSummary) -> SlotRequest {
        SlotRequest(
            id: UInt64(r.id), account: r.account, sector: r.sector,
            resources: Resources(gpus: r.gpus, cpus: r.cpus, memoryMiB: r.memoryMiB), duration: r.durationMs,
            purpose: "", submittedAt: r.submittedAt, gpuTypes: r.gpuTypes, nodes: r.nodes)
    }

    /// Checks the shape of a submit (the policy's rules are the scheduler's) and fills defaults.
    private func makeRequest(_ p: SubmitParameters, _ caller: Caller, account: StoredAccount)
        throws(WireError) -> StoredRequest
    {
        let i = WireError.Interface.requests
        guard !p.command.isEmpty, !p.command[0].isEmpty else {
            throw .invalid(i, parameter: "command", "give the program to run and its arguments")
        }
        guard p.command.reduce(0, { $0 + $1.utf8.count }) <= Self.maximumCommandBytes else {
            throw .invalid(i, parameter: "command", "longer than \(Self.maximumCommandBytes) bytes")
        }
        // A NUL byte would end the string at exec: what ran would differ from what is stored and shown.
        guard !p.command.contains(where: { $0.utf8.contains(0) }) else {
            throw .invalid(i, parameter: "command", "contains a NUL byte")
        }
        guard p.workingDirectory.hasPrefix("/"), p.workingDirectory.utf8.count <= Self.maximumPathBytes,
            !p.workingDirectory.utf8.contains(0)
        else {
            throw .invalid(
                i, parameter: "workingDirectory",
                "must be an absolute path of at most \(Self.maximumPathBytes) bytes without NUL")
        }
        // Checked with the caller's own permissions (never slotd's): the answer is the one her own `cd` gives.
        let directoryError = UserAccess.checkDirectory(
            p.workingDirectory, as: SlotUser(uid: caller.uid, gid: caller.gid))
        guard directoryError == 0 else {
            throw .invalid(
                i, parameter: "workingDirectory",
                "\(p.workingDirectory): \(String(cString: strerror(directoryError)))")
        }
        let nodes = p.nodes ?? 1
        guard (1...Self.maximumNodes).contains(nodes) else {
            throw .invalid(i, parameter: "nodes", "must be 1 to \(Self.maximumNodes)")
        }
        // Per node with nodes; without, up to what the most nodes hold (shaped into whole nodes below).
        let gpuLimit = p.nodes == nil ? 64 * Self.maximumNodes : 64
        guard (0...gpuLimit).contains(p.gpus) else {
            throw .invalid(
                i, parameter: "gpus", p.nodes == nil ? "must be 0 to \(gpuLimit)" : "must be 0 to 64 per node")
        }
        let cpus = p.cpus ?? max(1, 8 * p.gpus)
        guard (1...100_000).contains(cpus) else { throw .invalid(i, parameter: "cpus", "must be 1 to 100000") }
        let memory = p.memoryMiB ?? 4_096 * cpus
        guard (1...(1 << 30)).contains(memory) else { throw .invalid(i, parameter: "memoryMiB", "must be positive") }
        guard p.purpose.utf8.count <= Self.maximumPurposeBytes else {
            throw .invalid(i, parameter: "purpose", "longer than \(Self.maximumPurposeBytes) bytes")
        }
        let environment = p.environment ?? [:]
        guard environment.count <= Self.maximumEnvironment,
            environment.keys.allSatisfy({ !$0.isEmpty && !$0.contains("=") && !$0.utf8.contains(0) })
        else {
            throw .invalid(i, parameter: "environment", "at most \(Self.maximumEnvironment) NAME=VALUE pairs")
        }
        guard !environment.values.contains(where: { $0.utf8.contains(0) }) else {
            throw .invalid(i, parameter: "environment", "a value contains a NUL byte")
        }
        guard environment.values.allSatisfy({ $0.utf8.count <= Self.maximumEnvironmentValueBytes }),
            environment.reduce(0, { $0 + $1.key.utf8.count + $1.value.utf8.count + 2 }) <= Self.maximumEnvironmentBytes
        else {
            throw .invalid(
                i, parameter: "environment",
                "each value at most \(Self.maximumEnvironmentValueBytes) bytes, "
                    + "all of it at most \(Self.maximumEnvironmentBytes)")
        }
        var gpuTypes: [String]?
        if let given = p.gpuTypes, !given.isEmpty {
            guard given.count <= Self.maximumGPUTypes, given.allSatisfy({ GPU.isValidType($0) }) else {
                throw .invalid(
                    i, parameter: "gpuTypes",
                    "at most \(Self.maximumGPUTypes) GPU models, each 1 to 32 lower-case letters, digits, '-', '_' "
                        + "or '.', starting with a letter (e.g. h100)")
            }
            var seen = Set<String>()
            gpuTypes = given.filter { seen.insert($0).inserted }
        }
        let policy = policyState.policy
        let category = policy.category(account.category)
        let sector: String
        if let given = p.sector {
            sector = given
        } else if let only = category?.sectors, only.count == 1, only[0] != "*" {
            sector = only[0]
        } else {
            let sectors = category?.sectors ?? []
            let allowed = (sectors.contains("*") ? policy.sectors.map(\.id) : sectors).joined(separator: ", ")
            throw .invalid(i, parameter: "sector", "name a sector; category '\(account.category)' may use: \(allowed)")
        }
        let durationMs: Int64
        if let seconds = p.durationSeconds {
            guard seconds > 0, seconds <= 366 * 86_400 else {
                throw .invalid(i, parameter: "durationSeconds", "must be 1 second to 366 days")
            }
            durationMs = seconds * 1_000
        } else {
            let fallback = policy.defaults.duration.milliseconds
            durationMs = min(fallback, category?.maxDuration.milliseconds ?? fallback)
        }
        let id = book.nextID
        book.nextID += 1
        var request = StoredRequest(
            id: id, uid: Int64(caller.uid), gid: Int64(caller.gid), account: account.name, sector: sector,
            gpus: p.gpus, cpus: cpus, memoryMiB: memory, durationMs: durationMs, purpose: p.purpose,
            command: p.command, workingDirectory: p.workingDirectory, environment: environment, submittedAt: now)
        request.network = p.network ?? true
        request.gpuTypes = gpuTypes
        request.category = account.category
        request.nodes = nodes
        // More GPUs than any node has, without nodes: as few whole nodes as hold them (stored so, shown so).
        let shaped = scheduler.shaped(Self.schedulerRequest(PendingSummary(request)))
        request.nodes = shaped.nodes
        request.gpus = shaped.resources.gpus
        request.cpus = shaped.resources.cpus
        request.memoryMiB = shaped.resources.memoryMiB
        return request
    }

    func get(_ id: Int64, _ caller: Caller) throws(WireError) -> RequestInfo {
        let request = try visibleRequest(id, caller)
        var info = request.info(nodeNames: nodeNames)
        if request.state == .running { info.clusterState = executor.describe(UInt64(id)) }
        return info
    }

    /// The queue in service order. Others' requests are anonymised: position, class and size (Art. 10).
    func queue(limit: Int?, _ caller: Caller) -> QueueReply {
        let limit = min(max(limit ?? 1_000, 1), 1_000_000)
        let now = self.now
        var entries: [QueueEntry] = []
        for (index, id) in scheduler.pendingInOrder(now: now, limit: limit).enumerated() {
            guard let request = book.pendingRows[Int64(id)] else { continue }
            let klass = scheduler.queueClass(of: id).map { "\($0.category)/\($0.sector)/\($0.band)" } ?? "?"
            entries.append(entry(request, state: .pending, position: index + 1, queueClass: klass, caller))
        }
        for slot in scheduler.running.values.sorted(by: { $0.start < $1.start }) where entries.count < limit {
            guard let request = book.active[Int64(slot.requestID)] else { continue }
            var running = entry(
                PendingSummary(request), state: .running, position: nil, queueClass: "running", caller)
            if running.id != nil {
                running.nodeList = (request.nodeIndices ?? [slot.node]).map { StoredRequest.name(of: $0, nodeNames) }
            }
            entries.append(running)
        }
        return QueueReply(
            pending: scheduler.pendingCount, running: scheduler.running.count - scheduler.outsideCount, entries: entries
        )
    }

    private func entry(
        _ r: PendingSummary, state: RequestState, position: Int?, queueClass: String,
        _ caller: Caller
    ) -> QueueEntry {
        let mine = r.uid == Int64(caller.uid)
        var entry = QueueEntry(
            position: position, state: state, queueClass: queueClass, gpus: r.gpus, cpus: r.cpus,
            memoryMiB: r.memoryMiB, durationSeconds: r.durationMs / 1_000, mine: mine,
            id: mine || caller.isAdmin ? r.id : nil)
        entry.nodes = r.nodes > 1 ? r.nodes : nil
        return entry
    }

    /// Cancels a pending request or stops a running slot of the caller's (admins: anyone's).
    func cancel(_ id: Int64, _ caller: Caller) async throws(WireError) -> RequestInfo {
        let request = try visibleRequest(id, caller)
        guard !request.state.isFinal else {
            throw .invalid(
                .requests, parameter: "id", "request \(id) already ended (\(request.state.rawValue))")
        }
        try requireWritable()  // a cancel that could not be recorded would be lost at the next restart
        perform(scheduler.handle(.cancel(requestID: UInt64(id)), now: now))
        return (book.active[id] ?? (try? store.request(id)) ?? request).info(nodeNames: nodeNames)
    }

    func explain(_ id: Int64, _ caller: Caller) throws(WireError) -> ExplainReply {
        let request = try visibleRequest(id, caller)
        guard let explanation = scheduler.explain(UInt64(id), now: now) else {
            return ExplainReply(
                id: id, state: request.state, priority: nil, terms: [], position: nil, positionInClass: nil,
                queueClass: nil, reasons: request.reasons ?? [], estimatedStart: nil,
                estimateNote: "request \(id) is \(request.state.rawValue)" + (request.outcome.map { ": \($0)" } ?? ""))
        }
        let terms =
            explanation.priority?.terms.map {
                PriorityTermInfo(
                    name: $0.kind.rawValue, points: Double($0.points), detail: $0.detail,
                    source: $0.source.description)
            } ?? []
        return ExplainReply(
            id: id, state: explanation.state == .running ? .running : .pending,
            priority: explanation.priority.map { Double($0.total) }, terms: terms, position: explanation.position,
            positionInClass: explanation.positionInClass,
            queueClass: explanation.queueClass.map { "\($0.category)/\($0.sector)/\($0.band)" },
            reasons: explanation.reasons.map { Reason(code: $0.code, message: $0.description) },
            estimatedStart: explanation.estimatedStart,
            estimateNote: windowNote(
                request,
                explanation.state == .running
                    ? runningNote(id, explanation.estimateNote) : explanation.estimateNote))
    }

    /// The note, and when the request's project window closes before its slot would end, that it ends there.
    private func windowNote(_ request: StoredRequest, _ note: String) -> String {
        guard request.account.hasPrefix("project:"), let project = projects[String(request.account.dropFirst(8))],
            (request.startedAt ?? now) + request.durationMs > project.closes
        else { return note }
        return note + "; it ends at project \(project.id)'s window close, \(Timestamp(project.closes)), before its "
            + "duration is up (Art. 25.1)"
    }

    /// A running slot's note, with what the cluster says of it and which time limit applies.
    private func runningNote(_ id: Int64, _ note: String) -> String {
        guard executor.submitsJobs else { return note }
        var parts = [note]
        if let state = executor.describe(UInt64(id)) { parts.append(state) }
        parts.append(
            "slotd stops it at its hard end; while slotd is down, the cluster's own time limit (whole minutes, "
                + "rounded up, checked about every 30 s) ends it")
        return parts.joined(separator: "; ")
    }

    /// A chunk of the workload's log, for its owner (and admins).
    func logs(_ p: LogsParameters, _ caller: Caller) throws(WireError) -> LogsReply {
        let request = try visibleRequest(p.id, caller)
        let offset = max(0, p.offset ?? 0)
        guard let handle = FileHandle(forReadingAtPath: logFile(p.id)) else {
            // No file yet is no output yet; a file slotd cannot open is an error, never an empty log.
            let reason = String(cString: strerror(errno))
            if FileManager.default.fileExists(atPath: logFile(p.id)) {
                throw .internalError("cannot read the log \(logFile(p.id)): \(reason)")
            }
            return LogsReply(data: "", offset: offset, ended: request.state.isFinal)
        }
        defer { try? handle.close() }
        let chunk: Data
        do {
            try handle.seek(toOffset: UInt64(offset))
            chunk = try handle.read(upToCount: 256 * 1_024) ?? Data()
        } catch { throw .internalError("cannot read the log: \(error)") }
        let next = offset + Int64(chunk.count)
        return LogsReply(
            data: String(decoding: chunk, as: UTF8.self), offset: next,
            ended: request.state.isFinal && chunk.count < 256 * 1_024)
    }
}
