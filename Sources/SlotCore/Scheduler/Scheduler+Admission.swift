import SlotQueue

extension Scheduler {
    /// Checks every admission rule and returns all that `request` breaks; empty when it can be queued.
    /// A request that breaks none of them can run eventually, so it never waits forever.
    public func admissionProblems(_ request: SlotRequest) -> [Rejection] {
        let request = typed(request)
        guard let account = accounts[request.account] else {
            return duplicateProblem(request) + [.unknownAccount(account: request.account)]
        }
        return admissionProblems(request, sectorFacts(account: account, sector: request.sector))
    }

    /// What admission and classification need to know of one account and sector. It depends only on the accounts,
    /// the policy and (for the band) the ledger at `now`, none of which change between the submits of one batch,
    /// so a batch works it out once per pair (a restart files a million requests from a few hundred pairs).
    struct SectorFacts {
        /// The account's category in the policy; nil when the policy no longer has it.
        let category: ApplicantCategory?
        /// Unknown sector, or a sector the category may not use.
        let sectorProblem: Rejection?
        /// The queue class, worked out for the first request of the pair that passes admission (as without the
        /// memo: only an admitted request's account gets a place in the ledger).
        var classification: Result<Int, Rejection>?
    }

    func sectorFacts(account: Account, sector: String) -> SectorFacts {
        let category = policy.category(account.category)
        let sectorProblem: Rejection? =
            if policy.sector(sector) == nil {
                .unknownSector(sector: sector)
            } else if let category, !category.allows(sector: sector) {
                .sectorNotAllowed(category: category.id, sector: sector)
            } else {
                nil
            }
        return SectorFacts(category: category, sectorProblem: sectorProblem, classification: nil)
    }

    private func duplicateProblem(_ request: SlotRequest) -> [Rejection] {
        pending[request.id] != nil || running[request.id] != nil ? [.duplicateID(id: request.id)] : []
    }

    /// The rules, in the order they are reported, for a request whose account exists.
    private func admissionProblems(_ request: SlotRequest, _ facts: SectorFacts) -> [Rejection] {
        var problems = duplicateProblem(request)
        let category = facts.category
        if let problem = facts.sectorProblem { problems.append(problem) }
        if request.duration <= 0 { problems.append(.durationNotPositive) }
        if let category, request.duration > category.maxDuration.milliseconds {
            problems.append(
                .durationOverMaximum(requested: request.duration, maximum: category.maxDuration.milliseconds))
        }
        if request.resources.cpus < 1 { problems.append(.noCPU) }
        let models = request.resources.gpuTypeBits
        if request.nodes < 1 {
            problems.append(.notEnoughNodes(requested: request.nodes, available: 0, perNode: request.resources))
        } else if request.resources.gpus > 0, models == 0 {
            if gpuTypeBits(request.gpuTypes) == 0 {
                problems.append(.noNodeWithGPUType(requested: request.gpuTypes ?? [], available: gpuTypes))
            } else {
                problems.append(
                    .gpuTypeNotAllowed(category: category?.id ?? "", allowed: category?.gpuTypes ?? []))
            }
        } else if !nodeSizes.contains(where: { $0.covers(request.resources) }) {
            let candidates = nodeSizes.filter { request.resources.gpus == 0 || $0.gpuTypeBits & models != 0 }
            let biggest: Resources =
                candidates.max { ($0.gpus, $0.cpus, $0.memoryMiB) < ($1.gpus, $1.cpus, $1.memoryMiB) } ?? .zero
            problems.append(.largerThanAnyNode(requested: request.resources, largest: biggest))
        } else if request.nodes > 1 {
            var available = 0
            for size in nodeSizes where size.covers(request.resources) {
                available += 1
                if available == request.nodes { break }
            }
            if available < request.nodes {
                problems.append(
                    .notEnoughNodes(requested: request.nodes, available: available, perNode: request.resources))
            }
        }
        if let category {
            if request.totalGPUs > category.maxConcurrentGPUs {
                problems.append(.overConcurrentGPUCap(requested: request.totalGPUs, cap: category.maxConcurrentGPUs))
            }
            let chargeable = chargeableHours(request)
            if chargeable > Double(category.gpuHoursPerPeriod) {
                problems.append(
                    .overPeriodBudget(
                        requestedGPUHours: chargeable,
                        budget: category.gpuHoursPerPeriod))
            }
        }
        return problems
    }

    /// `request` as the scheduler places it: a request within one node that no node of its models can hold, for
    /// more GPUs than the largest such node has, becomes a gang of as few whole nodes as hold its GPUs (`--gpus 32`
    /// on 8-GPU nodes: 4 nodes × 8), its CPUs and memory shared out per node. Anything else is returned as it is,
    /// and admission judges it.
    public func shaped(_ request: SlotRequest) -> SlotRequest {
        let typed = typed(request)
        guard typed.nodes == 1, typed.resources.gpus > 0,
            !nodeSizes.contains(where: { $0.covers(typed.resources) })
        else { return request }
        let widest = nodeSizes.filter { $0.gpuTypeBits & typed.resources.gpuTypeBits != 0 }.map(\.gpus).max() ?? 0
        guard widest > 0, typed.resources.gpus > widest else { return request }
        var shaped = request
        let count = (request.resources.gpus + widest - 1) / widest
        shaped.nodes = count
        shaped.resources.gpus = (request.resources.gpus + count - 1) / count
        shaped.resources.cpus = max(1, (request.resources.cpus + count - 1) / count)
        shaped.resources.memoryMiB = (request.resources.memoryMiB + count - 1) / count
        return shaped
    }

    /// Submits one request. `memo` carries the sector facts between the submits of one batch.
    func submit(_ request: SlotRequest, now: Int64, memo: inout [AccountSector: SectorFacts]) -> [SchedulerAction] {
        let request = typed(request)
        guard let account = accounts[request.account] else {
            return [
                .reject(
                    requestID: request.id,
                    reasons: duplicateProblem(request) + [.unknownAccount(account: request.account)])
            ]
        }
        let key = AccountSector(account: request.account, sector: request.sector)
        var facts = memo[key] ?? sectorFacts(account: account, sector: request.sector)
        // A project's award takes the place of its category's budget per period.
        let problems =
            admissionProblems(request, facts).filter { account.award == nil || $0.code != "over-period-budget" }
            + awardProblems(request, account: account, now: now)
        guard problems.isEmpty else {
            memo[key] = facts
            return [.reject(requestID: request.id, reasons: problems)]
        }
        let classification =
            facts.classification
            ?? classify(account: account, category: facts.category, sector: request.sector, now: now)
        facts.classification = classification
        memo[key] = facts
        switch classification {
        case .failure(let problem): return [.reject(requestID: request.id, reasons: [problem])]
        case .success(let classIndex):
            let item = QueueItem(id: request.id, submittedAt: request.submittedAt, classIndex: classIndex)
            switch queue.push(item) {
            case .success(let handle):
                let entry = PendingRequest(
                    request: request, handle: handle, classIndex: classIndex,
                    account: accountIndex(request.account))
                addPending(entry)
                hot[Int(handle.slot)] = entry.hot(id: request.id, chargeable: chargeableHours(request))
                return []
            case .failure(let refusal):
                return [.reject(requestID: request.id, reasons: [.queueFull(detail: Self.publicDetail(refusal))])]
            }
        }
    }

    /// Submits requests in order, working out each account and sector's facts once.
    func submitAll(_ requests: [SlotRequest], now: Int64) -> [SchedulerAction] {
        var memo: [AccountSector: SectorFacts] = [:]
        var actions: [SchedulerAction] = []
        for request in requests { actions += submit(request, now: now, memo: &memo) }
        return actions
    }

    /// The queue class of `request`: its category and sector, and its account's fair-share band now.
    func classify(_ request: SlotRequest, now: Int64) -> Result<Int, Rejection> {
        guard let account = accounts[request.account] else {
            return .failure(.unknownAccount(account: request.account))
        }
        return classify(account: account, category: policy.category(account.category), sector: request.sector, now: now)
    }

    private func classify(
        account: Account, category: ApplicantCategory?, sector: String,
        now: Int64
    ) -> Result<Int, Rejection> {
        guard let category else { return .failure(.unknownAccount(account: account.name)) }
        let band = PriorityModel.band(
            usage: ledger.decayedUsage(accountIndex(account.name), at: now),
            budget: category.gpuHoursPerPeriod)
        guard let index = model.classIndex(category: category.id, sector: sector, band: band) else {
            return .failure(.sectorNotAllowed(category: category.id, sector: sector))
        }
        return .success(index)
    }
}

extension Scheduler {
    /// Why the queue refused a request, in words for its applicant (no internal index or state).
    static func publicDetail(_ refusal: QueueRefusal) -> String {
        switch refusal {
        case .classFull: "the queue of this sector for your applicant category is full"
        case .capacityExhausted: "slotd holds its maximum number of pending requests"
        case .rebuilding: "the queue is being rebuilt under a new policy"
        case .unknownClass: "the request's queue class does not exist under the policy in force"
        }
    }
}

/// The memo key of ``Scheduler/SectorFacts``.
struct AccountSector: Hashable {
    let account: String
    let sector: String
}
