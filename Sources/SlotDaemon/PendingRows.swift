import SlotStore

/// The pending requests' scheduling fields by id, and how many each uid has pending: the count is kept with every
/// change, so the per-user pending limit costs one lookup per submit, not a scan of a million rows.
struct PendingRows {
    private var rows: [Int64: PendingSummary] = [:]
    private var perUser: [Int64: Int] = [:]

    subscript(id: Int64) -> PendingSummary? {
        get { rows[id] }
        set {
            let old: PendingSummary?
            if let newValue {
                old = rows.updateValue(newValue, forKey: id)
                count(newValue.uid, 1)
            } else {
                old = rows.removeValue(forKey: id)
            }
            if let old { count(old.uid, -1) }
        }
    }

    /// Requests uid `uid` has pending.
    func pending(uid: Int64) -> Int { perUser[uid, default: 0] }

    mutating func reserveCapacity(_ count: Int) { rows.reserveCapacity(count) }

    private mutating func count(_ uid: Int64, _ delta: Int) {
        let n = perUser[uid, default: 0] + delta
        perUser[uid] = n > 0 ? n : nil
    }
}
