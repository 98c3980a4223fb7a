import Foundation
import SlotSandbox
import SlotSlurm
import SlotCore
import SlotPolicy
import SlotProtocol
import SlotStore

/// io.slotd.Accounts, io.slotd.Policy and io.slotd.System. Every change needs an admin and a reason, and leaves
/// an audit record (Art. 8).
extension Engine {
    // MARK: Accounts

    func whoami(_ caller: Caller) -> WhoamiReply {
        WhoamiReply(
            user: caller.user, uid: Int64(caller.uid), gid: Int64(caller.gid), admin: caller.isAdmin,
            account: accounts[caller.user]?.info)
    }

    /// For a rule that depends on a call's parameters (a route's own rule is `Access`, checked before the call).
    func requireAdmin(_ caller: Caller, _ interface: WireError.Interface, _ what: String) throws(WireError) {
        guard caller.isAdmin else { throw Access.adminRequired(interface, what, adminGroup: config.adminGroup) }
    }

    /// Changes one account, in `accounts` and in the roster `Access.check` reads.
    func setAccount(_ name: String, _ account: StoredAccount?) {
        accounts[name] = account
        if account == nil { roster.remove(name) } else { roster.insert(name) }
    }

    static func requireReason(_ reason: String, _ interface: WireError.Interface) throws(WireError) {
        guard reason.trimmingCharacters(in: .whitespacesAndNewlines).count >= 3, reason.utf8.count <= 2_000 else {
            throw .invalid(interface, parameter: "reason", "say why (3 to 2000 characters); it goes to the audit trail")
        }
    }

    func addAccount(_ p: AccountParameters, _ caller: Caller, update: Bool) throws(WireError) -> AccountInfo {
        let i = WireError.Interface.accounts
        try Self.requireReason(p.reason, i)
        guard Self.validName(p.name) else {
            throw .invalid(i, parameter: "name", "a Unix user name: letters, digits, '.', '_', '-', at most 32")
        }
        let existing = accounts[p.name]
        if update, existing == nil { throw WireError(.accountsNotFound, .init(reason: "no account '\(p.name)'")) }
        if !update, existing != nil {
            throw .invalid(i, parameter: "name", "account '\(p.name)' exists; use `slotctl account update`")
        }
        guard let categoryID = p.category ?? existing?.category else {
            throw .invalid(i, parameter: "category", "give the applicant category")
        }
        guard policyState.policy.category(categoryID) != nil else {
            let known = policyState.policy.categories.map(\.id).joined(separator: ", ")
            throw .invalid(i, parameter: "category", "unknown category '\(categoryID)' (known: \(known))")
        }
        let account = StoredAccount(name: p.name, category: categoryID, createdAt: existing?.createdAt ?? now)
        let detail = existing.map { "category \($0.category) -> \(categoryID)" } ?? "category \(categoryID)"
        do {
            try store.save(
                account,
                audit: audit(
                    caller, update ? "account.update" : "account.add", p.name, p.reason,
                    detail), at: now)
        } catch { throw .internalError("\(error)") }
        setAccount(p.name, account)
        perform(scheduler.handle(.accountChanged(Account(name: p.name, category: categoryID)), now: now))
        return account.info
    }

    func removeAccount(_ p: AccountParameters, _ caller: Caller) throws(WireError) -> AccountInfo {
        let i = WireError.Interface.accounts
        try Self.requireReason(p.reason, i)
        guard let existing = accounts[p.name] else {
            throw WireError(.accountsNotFound, .init(reason: "no account '\(p.name)'"))
        }
        do {
            try store.remove(
                account: p.name,
                audit: audit(
                    caller, "account.remove", p.name, p.reason,
                    "category \(existing.category)"), at: now)
        } catch { throw .internalError("\(error)") }
        setAccount(p.name, nil)
        return existing.info
    }

    func listAccounts() -> [AccountInfo] {
        accounts.values.sorted { $0.name < $1.name }.map(\.info)
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32 && !name.hasPrefix("-")
            && name.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            }
    }

    func audit(_ caller: Caller, _ action: String, _ target: String, _ reason: String, _ detail: String) -> AuditEvent {
        AuditEvent(
            actor: caller.user, actorUID: Int64(caller.uid), action: action, target: target, reason: reason,
            detail: detail)
    }

    // MARK: Policy

    func currentPolicy() -> PolicyReply {
        PolicyReply(
            version: policyState.policy.revision ?? "version \(policyState.policy.version)",
            hash: policyState.hash, file: policyState.file, source: policyState.source)
    }

    /// Pure, and run off the engine (Dispatcher, ExpensiveCalls): a big text must not hold up everyone's calls.
    nonisolated static func checkPolicy(_ source: String) -> PolicyCheckReply {
        let check = PolicyLoader.check(text: source, file: "<submitted>")
        return PolicyCheckReply(valid: check.isValid, diagnostics: check.diagnostics.map(\.description))
    }

    /// Applies a policy text from an admin. A text with errors changes nothing.
    func applyPolicy(_ p: PolicyApplyParameters, _ caller: Caller) throws(WireError) -> PolicyReply {
        try Self.requireReason(p.reason, .policy)
        try install(
            source: p.source, file: "slotctl policy apply", appliedBy: caller,
            reason: p.reason)
        return currentPolicy()
    }

    /// Re-reads the policy file (SIGHUP). On error the policy in force stays, and the error is kept for
    /// `slotctl status`.
    func reload() {
        let file = config.policyFile
        let source: String
        do { source = try String(contentsOfFile: file, encoding: .utf8) } catch {
            policyState.error = "cannot read \(file): \(error.localizedDescription)"
            logger.error("reload refused, the policy in force stays: \(policyState.error ?? "")")
            return
        }
        guard sha256Hex(source) != policyState.hash else {
            reloadAgreement()
            return
        }
        let system = Caller(uid: getuid(), gid: getgid(), pid: getpid(), user: "slotd", isAdmin: true)
        do {
            try install(source: source, file: file, appliedBy: system, reason: "reload of \(file) (SIGHUP)")
        } catch {
            logger.error("reload refused, the policy in force stays: \(error)")
        }
    }

    /// Validates and applies `source`, records it and its audit record, and re-ranks the queue.
    func install(source: String, file: String, appliedBy: Caller, reason: String) throws(WireError) {
        let check = PolicyLoader.check(text: source, file: file)
        guard let policy = check.policy else {
            let errors = check.errors.map(\.description).joined(separator: "\n")
            policyState.error = errors
            throw WireError(.policyInvalid, .init(reason: errors))
        }
        let agreement: LoadedAgreement?
        do { agreement = try LoadedAgreement.load(policy, policyFile: config.policyFile) } catch {
            policyState.error = error.parameters.reason
            throw error
        }
        let hash = sha256Hex(source)
        let version = policy.revision ?? "version \(policy.version)"
        do {
            try store.record(
                StoredPolicy(
                    version: version, hash: hash, file: file, source: source, appliedAt: now,
                    appliedBy: appliedBy.user, reason: reason),
                audit: audit(appliedBy, "policy.apply", version, reason, "sha256 \(hash) from \(file)"))
        } catch { throw .internalError("\(error)") }
        policyState = PolicyState(
            policy: policy, source: source, hash: hash, file: file, error: nil,
            agreement: agreement)
        perform(scheduler.handle(.policyApplied(policy), now: now))
        logger.info("policy \(version) in force (sha256 \(hash.prefix(12)))")
    }

    /// SIGHUP with an unchanged policy file: the agreement's text may have changed (a new text needs a new
    /// acceptance, even under the same version).
    func reloadAgreement() {
        do {
            let agreement = try LoadedAgreement.load(policyState.policy, policyFile: config.policyFile)
            policyState.error = nil
            guard agreement != policyState.agreement else {
                logger.info("reload: \(config.policyFile) and its agreement are unchanged")
                return
            }
            policyState.agreement = agreement
            let system = Caller(uid: getuid(), gid: getgid(), pid: getpid(), user: "slotd", isAdmin: true)
            try? store.audit(
                audit(
                    system, "agreement.update", agreement?.version ?? "none", "reload (SIGHUP)",
                    "sha256 \(agreement?.hash ?? "-")"), at: now)
            logger.info("user agreement \(agreement?.version ?? "none") in force; accepting it again is required")
        } catch {
            policyState.error = error.parameters.reason
            logger.error("reload refused, the agreement in force stays: \(error)")
        }
    }

    func policyHistory() throws(WireError) -> [PolicyVersionInfo] {
        do {
            return try store.policyHistory().map {
                PolicyVersionInfo(
                    seq: $0.seq ?? 0, version: $0.version, hash: $0.hash, appliedAt: $0.appliedAt,
                    appliedBy: $0.appliedBy, reason: $0.reason)
            }
        } catch { throw .internalError("\(error)") }
    }

    // MARK: System

    func status() -> StatusReply {
        let free = scheduler.freeByNode.reduce(0) { $0 + $1.gpus }
        var reply = StatusReply(
            version: SlotdVersion.current, mode: config.mode.rawValue,
            executor: executor is SystemdExecutor ? "systemd" : executor is SlurmExecutor ? "slurm" : "process",
            startedAt: startedAt,
            pending: scheduler.pendingCount, running: scheduler.running.count - scheduler.outsideCount,
            policyVersion: policyState.policy.revision ?? "version \(policyState.policy.version)",
            policyHash: policyState.hash, policyFile: policyState.file, policyError: policyState.error,
            nodes: scheduler.inventory.nodes.count, gpus: scheduler.inventory.totalGPUs, freeGPUs: free,
            confinement: executor.confinement, storeError: writeGuard.storeFailure)
        reply.clusterError = clusterError
        return reply
    }

    /// What the metrics' gauges show now.
    func metricsSnapshot() -> DaemonMetrics.Snapshot {
        var byClass: [String: Int] = [:]
        for (queueClass, count) in scheduler.pendingCountByClass() {
            byClass["\(queueClass.category)/\(queueClass.sector)/\(queueClass.band)"] = count
        }
        let free = scheduler.freeByNode.reduce(0) { $0 + $1.gpus }
        return DaemonMetrics.Snapshot(
            pending: scheduler.pendingCount, running: scheduler.running.count - scheduler.outsideCount,
            pendingByClass: byClass, gpus: scheduler.inventory.totalGPUs,
            usedGPUs: scheduler.inventory.totalGPUs - free)
    }

    /// The one-line summary for systemd's `STATUS=`.
    func statusLine() -> String {
        let s = status()
        return "\(s.running) running, \(s.pending) pending; \(s.freeGPUs)/\(s.gpus) GPUs free"
            + (s.policyError == nil ? "" : "; last policy reload refused")
            + (s.storeError == nil ? "" : "; DATABASE NOT WRITABLE, granting nothing")
            + (s.clusterError == nil ? "" : "; CLUSTER UNREACHABLE, starting nothing")
    }

    func resources() -> ResourcesReply {
        ResourcesReply(nodes: scheduler.inventory.nodes.indices.map(nodeInfo))
    }

    func auditTrail(_ p: AuditParameters) throws(WireError) -> AuditReply {
        do {
            let entries = try store.auditRecords(limit: min(max(p.limit ?? 100, 0), 100_000)).map(\.entry)
            guard p.verify == true else {
                return AuditReply(entries: entries, verified: nil, brokenAt: nil, problem: nil)
            }
            let check = try store.verifyAudit()
            return AuditReply(
                entries: entries, verified: check.intact, brokenAt: check.brokenAt, problem: check.problem)
        } catch { throw .internalError("\(error)") }
    }

    func backup(_ p: BackupParameters, _ caller: Caller) throws(WireError) -> BackupReply {
        try Self.requireReason(p.reason, .system)
        guard p.path.hasPrefix("/") else {
            throw .invalid(.system, parameter: "path", "must be an absolute path")
        }
        do {
            let bytes = try store.backup(to: p.path)
            try store.audit(audit(caller, "system.backup", p.path, p.reason, "\(bytes) bytes"), at: now)
            return BackupReply(path: p.path, bytes: bytes)
        } catch {
            throw .invalid(.system, parameter: "path", "\(error)")
        }
    }
}

public enum SlotdVersion {
    public static let current = "0.3.0"
}
