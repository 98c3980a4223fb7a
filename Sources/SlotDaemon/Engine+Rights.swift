import Crypto
import Foundation
import SlotCore
import SlotProtocol
import SlotStore

/// The user agreement in force: what the policy names, read from its file.
struct LoadedAgreement: Sendable, Hashable {
    var version: String
    var hash: String
    var text: String
    var file: String

    /// The most an agreement file may hold.
    static let maximumBytes = 256 * 1_024

    /// Reads the agreement `policy` names, relative to the directory of `policyFile`; nil when it names none.
    static func load(_ policy: Policy, policyFile: String) throws(WireError) -> LoadedAgreement? {
        guard let reference = policy.agreement else { return nil }
        let path =
            reference.file.hasPrefix("/")
            ? reference.file
            : ((policyFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent(reference.file)
        let problem = { (why: String) in
            WireError(
                .policyInvalid, .init(reason: "\(reference.source): the user agreement \(path) \(why)"))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumBytes else { throw problem("is larger than \(maximumBytes) bytes") }
        guard let data = FileManager.default.contents(atPath: path) else { throw problem("cannot be read") }
        guard data.count <= maximumBytes else { throw problem("is larger than \(maximumBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8), !text.isEmpty else { throw problem("is not UTF-8 text") }
        return LoadedAgreement(version: reference.version, hash: sha256Hex(text), text: text, file: path)
    }
}

/// Users' rights: the user agreement (Art. 15.2.5) and the Art. 7.2 notice.
extension Engine {
    struct AcceptanceKey: Hashable {
        var account: String
        var version: String
        var hash: String
    }

    /// Throws `AgreementRequired` unless `account` accepted the agreement in force (Submit calls this).
    func requireAgreement(_ account: String) throws(WireError) {
        guard let agreement = policyState.agreement,
            acceptances[AcceptanceKey(account: account, version: agreement.version, hash: agreement.hash)] == nil
        else { return }
        let before = acceptances.keys.contains { $0.account == account }
        throw WireError(
            .requestsAgreementRequired,
            .init(
                reason: before
                    ? "the user agreement changed (now version \(agreement.version)); accept it again to submit"
                    : "accept the platform's user agreement (version \(agreement.version)) before your first request",
                hint: "read it with `slotctl agreement show`, then run `slotctl agreement accept`",
                version: agreement.version))
    }

    func agreement(_ caller: Caller) -> AgreementReply {
        let notice = Self.notice(policyState.policy)
        guard let agreement = policyState.agreement else {
            return AgreementReply(
                required: false, version: nil, hash: nil, text: nil, notice: notice, accepted: true,
                acceptedAt: nil)
        }
        let at = acceptances[AcceptanceKey(account: caller.user, version: agreement.version, hash: agreement.hash)]
        return AgreementReply(
            required: true, version: agreement.version, hash: agreement.hash, text: agreement.text,
            notice: notice, accepted: at != nil, acceptedAt: at)
    }

    func acceptAgreement(_ p: AcceptAgreementParameters, _ caller: Caller) throws(WireError) -> AgreementReply {
        let i = WireError.Interface.accounts
        guard accounts[caller.user] != nil else { throw WireError.noAccount(user: caller.user) }
        guard let agreement = policyState.agreement else { return self.agreement(caller) }
        guard p.version == agreement.version, p.hash == agreement.hash else {
            throw WireError(
                .accountsAgreementMismatch,
                .init(
                    reason:
                        "you accepted version \(p.version) (\(p.hash.prefix(12))), but version \(agreement.version) "
                        + "(\(agreement.hash.prefix(12))) is in force; read it again with `slotctl agreement show`",
                    version: agreement.version))
        }
        let key = AcceptanceKey(account: caller.user, version: agreement.version, hash: agreement.hash)
        if acceptances[key] == nil {
            let at = now
            do {
                try store.accept(
                    AgreementAcceptance(
                        account: caller.user, uid: Int64(caller.uid), version: agreement.version,
                        hash: agreement.hash, acceptedAt: at),
                    audit: audit(
                        caller, "agreement.accept", caller.user, "accepted by the applicant",
                        "version \(agreement.version), sha256 \(agreement.hash)"))
            } catch { throw .internalError("\(error)") }
            acceptances[key] = at
        }
        return self.agreement(caller)
    }

    func loadAcceptances() throws(StoreError) {
        for row in try store.acceptances() {
            acceptances[AcceptanceKey(account: row.account, version: row.version, hash: row.hash)] = row.acceptedAt
        }
    }

    /// The Art. 7.2 notice: that allocation is automated, which factors decide it, and how to get an explanation
    /// and to contest a decision. Built from the policy in force, so the numbers are the ones applied.
    static func notice(_ policy: Policy) -> String {
        let sectors = policy.sectors.map(\.weight), categories = policy.categories.map(\.weight)
        func range(_ values: [Int64]) -> String {
            guard let low = values.min(), let high = values.max() else { return "0" }
            return low == high ? "\(low)" : "\(low) to \(high)"
        }
        return """
            Allocation on this platform is automated (Law on AI, Art. 7.2). No person orders the queue by hand.
            The priority of a request is computed by the policy in force (\(policy.revision ?? "version \(policy.version)")):
              + the weight of its priority sector (\(range(sectors)) points)
              + the weight of your applicant category (\(range(categories)) points)
              + aging: \(policy.aging.pointsPerHour) points per hour waited, up to \(policy.aging.cap)
              - fair share: up to \(policy.fairShare.weight) points for recent usage against your budget
            Equal priorities go to the earlier request. Your category comes from your account, set by an admin.
            To see why a request has its priority and position:   slotctl explain ID
            To contest a rejection or a position:                 slotctl contest ID --reason TEXT
            An admin reviews every contest; see the outcome and its reason with `slotctl contest list`.
            """
    }
}
