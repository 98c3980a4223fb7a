import SlotQueue

extension Scheduler {
    /// Checks every admission rule and returns all that `request` breaks; empty when it can be queued.
    /// A request that breaks none of them can run eventually, so it never waits forever.
    public func admissionProblems(_ request: SlotRequest) -> [Rejection] {
        var problems: [Rejection] = []
        if pending[request.id] != nil || running[request.id] != nil { problems.append(.duplicateID(id: request.id)) }
        guard let account = accounts[request.account] else { return problems + [.unknownAccount(account: request.account)] }
        let category = policy.category(account.category)
        if policy.sector(request.sector) == nil {
            problems.append(.unknownSector(sector: request.sector))
        } else if let category, !category.allows(sector: request.sector) {
            problems.append(.sectorNotAllowed(category: category.id, sector: request.sector))
        }
        if request.duration <= 0 { problems.append(.durationNotPositive) }
        if let category, request.duration > category.maxDuration.milliseconds {
            problems.append(.durationOverMaximum(requested: request.duration, maximum: category.maxDuration.milliseconds))
        }
        if request.resources.cpus < 1 { problems.append(.noCPU) }
        if !nodeSizes.contains(where: { $0.covers(request.resources) }) {
            let biggest = nodeSizes.max { ($0.gpus, $0.cpus, $0.memoryMiB) < ($1.gpus, $1.cpus, $1.memoryMiB) } ?? .zero
            problems.append(.largerThanAnyNode(requested: request.resources, largest: biggest))
        }
        if let category {
            if request.resources.gpus > category.maxConcurrentGPUs {
                problems.append(.overConcurrentGPUCap(requested: request.resources.gpus, cap: category.maxConcurrentGPUs))
            }
            if request.maximumGPUHours > Double(category.gpuHoursPerPeriod) {
                problems.append(.overPeriodBudget(requestedGPUHours: request.maximumGPUHours,
                                                  budget: category.gpuHoursPerPeriod))
            }
        }
        return problems
    }

    func submit(_ request: SlotRequest, now: Int64) -> [SchedulerAction] {
        let problems = admissionProblems(request)
        guard problems.isEmpty else { return [.reject(requestID: request.id, reasons: problems)] }
        switch classify(request, now: now) {
        case .failure(let problem): return [.reject(requestID: request.id, reasons: [problem])]
        case .success(let classIndex):
            let item = QueueItem(id: request.id, submittedAt: request.submittedAt, classIndex: classIndex)
            switch queue.push(item) {
            case .success(let handle):
                let entry = PendingRequest(request: request, handle: handle, classIndex: classIndex,
                                           account: accountIndex(request.account))
                addPending(entry)
                hot[Int(handle.slot)] = entry.hot(id: request.id)
                return []
            case .failure(let refusal):
                return [.reject(requestID: request.id, reasons: [.queueFull(detail: "\(refusal)")])]
            }
        }
    }

    /// The queue class of `request`: its category and sector, and its account's fair-share band now.
    func classify(_ request: SlotRequest, now: Int64) -> Result<Int, Rejection> {
        guard let account = accounts[request.account], let category = policy.category(account.category) else {
            return .failure(.unknownAccount(account: request.account))
        }
        let band = PriorityModel.band(usage: ledger.decayedUsage(accountIndex(request.account), at: now),
                                      budget: category.gpuHoursPerPeriod)
        guard let index = model.classIndex(category: category.id, sector: request.sector, band: band) else {
            return .failure(.sectorNotAllowed(category: category.id, sector: request.sector))
        }
        return .success(index)
    }
}
