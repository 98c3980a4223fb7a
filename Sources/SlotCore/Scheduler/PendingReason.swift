/// One reason a pending request is not running now. Explain lists every one that applies.
public enum PendingReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Not enough nodes have enough free now. `requested` is per node, on `nodes` nodes (a gang when more than one).
    /// `gpuTypes`: the GPU models the request accepts (empty: any); `mostFree` is over the accepting nodes of
    /// those models, `freeNodes` how many of them fit it now. Of the `sizedNodes` nodes big enough for it, `draining`
    /// and `down` take nothing new.
    case needsResources(
        requested: Resources, mostFree: Resources, gpuTypes: [String] = [], nodes: Int = 1, freeNodes: Int = 0,
        sizedNodes: Int = 0, draining: Int = 0, down: Int = 0)
    /// It would fit, but the resources are reserved for a higher-priority request starting at `start`.
    case reservedForHigherPriority(requestID: UInt64, start: Int64)
    /// The account already holds `inUse` GPUs of its category's `cap`.
    case accountGPUCap(cap: Int, inUse: Int)
    /// The account's GPU-hour budget for this period cannot cover the request's worst case.
    case budgetExhausted(needed: Double, left: Double, resetsAt: Int64)
    /// Higher-priority requests are waiting.
    case requestsAhead(count: Int)
    /// Only the first `window` pending requests are considered in each pass.
    case beyondBackfillWindow(window: Int)
    /// The account was removed after the request was queued.
    case accountMissing(account: String)

    public var code: String {
        switch self {
        case .needsResources: "needs-resources"
        case .reservedForHigherPriority: "reserved-for-higher-priority"
        case .accountGPUCap: "account-gpu-cap"
        case .budgetExhausted: "budget-exhausted"
        case .requestsAhead: "requests-ahead"
        case .beyondBackfillWindow: "beyond-backfill-window"
        case .accountMissing: "account-missing"
        }
    }

    public var description: String {
        switch self {
        case .needsResources(
            let requested, let mostFree, let gpuTypes, let nodes, let freeNodes, let sized, let draining,
            let down):
            Self.needs(requested, mostFree, gpuTypes, nodes: nodes, freeNodes: freeNodes)
                + Self.unavailable(sized: sized, draining: draining, down: down)
        case .reservedForHigherPriority(let id, let start):
            "the free resources are reserved for higher-priority request \(id) starting by \(Timestamp(start))"
        case .accountGPUCap(let cap, let inUse): "account GPU cap \(cap) reached (\(inUse) in use)"
        case .budgetExhausted(let needed, let left, let resetsAt):
            "budget: needs up to \(formatHours(needed)) GPU-hours, \(formatHours(left)) left; resets \(Timestamp(resetsAt))"
        case .requestsAhead(let count): "\(count) higher-priority request(s) ahead"
        case .beyondBackfillWindow(let window): "beyond the first \(window) pending requests considered per pass"
        case .accountMissing(let account): "account '\(account)' no longer exists"
        }
    }
}

/// Milliseconds since the Unix epoch, printed as UTC `YYYY-MM-DD HH:MM:SS`.
public struct Timestamp: CustomStringConvertible, Sendable {
    public var milliseconds: Int64
    public init(_ milliseconds: Int64) { self.milliseconds = milliseconds }

    public var description: String {
        let seconds = milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        // Civil-from-days (H. Hinnant), proleptic Gregorian.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        guard (0...9_999).contains(year) else {
            func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
            return "\(year)-\(two(month))-\(two(day)) \(two(rest / 3_600)):\(two(rest % 3_600 / 60)):\(two(rest % 60))"
        }
        // The common case as fixed-width digits: `slotctl list` prints one per row, up to a million.
        let fields: [(value: Int64, digits: Int, separator: UInt8)] = [
            (year, 4, UInt8(ascii: "-")), (month, 2, UInt8(ascii: "-")), (day, 2, UInt8(ascii: " ")),
            (rest / 3_600, 2, UInt8(ascii: ":")), (rest % 3_600 / 60, 2, UInt8(ascii: ":")), (rest % 60, 2, 0),
        ]
        return String(unsafeUninitializedCapacity: 19) { buffer in
            var at = 0
            for field in fields {
                var value = field.value
                for offset in stride(from: field.digits - 1, through: 0, by: -1) {
                    buffer[at + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += field.digits
                if field.separator != 0 {
                    buffer[at] = field.separator
                    at += 1
                }
            }
            return at
        }
    }
}

extension PendingReason {
    fileprivate static func needs(
        _ requested: Resources, _ mostFree: Resources, _ gpuTypes: [String], nodes: Int, freeNodes: Int
    ) -> String {
        let models = gpuTypes.isEmpty ? "" : " with \(gpuTypes.joined(separator: " or ")) GPUs"
        if nodes > 1 {
            return "needs \(nodes) nodes\(models) with \(requested) free on each; \(freeNodes) such node"
                + (freeNodes == 1 ? " is" : "s are") + " free"
        }
        return gpuTypes.isEmpty
            ? "needs \(requested) on one node; the most free on any node is \(mostFree)"
            : "needs \(requested) on one node\(models); the most free on such a node is \(mostFree)"
    }

    /// "; 3 of the 8 nodes that could hold it are draining, 1 is down", or nothing when all are up.
    fileprivate static func unavailable(sized: Int, draining: Int, down: Int) -> String {
        guard draining + down > 0 else { return "" }
        let parts = [
            draining > 0 ? "\(draining) \(draining == 1 ? "is" : "are") draining" : nil,
            down > 0 ? "\(down) \(down == 1 ? "is" : "are") down" : nil,
        ].compactMap { $0 }
        return "; of the \(sized) nodes that could hold it, " + parts.joined(separator: " and ")
    }
}
