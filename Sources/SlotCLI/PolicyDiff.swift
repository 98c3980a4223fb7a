import Foundation
import SlotCore

/// What changes between two policies, setting by setting: sectors and categories by id, every other setting by
/// its key path. Where a value was written (`source`) is not a change. Pure, so it is tested without a daemon.
struct PolicyDiff: Encodable, Equatable {
    struct Change: Encodable, Equatable {
        /// In the policy file's spelling, e.g. `sectors.healthcare.weight`, `categories.sme.max_duration`.
        var path: String
        /// nil: added.
        var old: String?
        /// nil: removed.
        var new: String?
    }

    var changes: [Change]

    init(old: Policy, new: Policy) {
        let before = Self.flatten(old), after = Self.flatten(new)
        var changes: [Change] = []
        // A whole sector or category added or removed is one change, not one per field.
        let removedGroups = Self.groups(before).subtracting(Self.groups(after))
        let addedGroups = Self.groups(after).subtracting(Self.groups(before))
        for group in removedGroups.sorted() { changes.append(Change(path: group, old: "present", new: nil)) }
        for group in addedGroups.sorted() { changes.append(Change(path: group, old: nil, new: "present")) }
        let grouped = removedGroups.union(addedGroups)
        for path in Set(before.keys).union(after.keys).sorted()
        where before[path] != after[path] && !grouped.contains(where: { path.hasPrefix($0 + ".") }) {
            changes.append(Change(path: path, old: before[path], new: after[path]))
        }
        self.changes = changes
    }

    /// `sectors.ID` and `categories.ID` present in a flattened policy.
    static func groups(_ flat: [String: String]) -> Set<String> {
        Set(
            flat.keys.compactMap { path in
                let parts = path.split(separator: ".")
                guard parts.count >= 2, parts[0] == "sectors" || parts[0] == "categories" else { return nil }
                return "\(parts[0]).\(parts[1])"
            })
    }

    /// The policy as `key.path → value`, arrays of identified objects keyed by their id, `source` left out.
    static func flatten(_ policy: Policy) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(policy), let object = try? JSONSerialization.jsonObject(with: data) else {
            return [:]
        }
        var flat: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            switch value {
            case let dictionary as [String: Any]:
                for (key, inner) in dictionary where key != "source" {
                    walk(inner, path.isEmpty ? snake(key) : path + "." + snake(key))
                }
            case let array as [Any]:
                if array.allSatisfy({ ($0 as? [String: Any])?["id"] is String }) && !array.isEmpty {
                    for case let item as [String: Any] in array {
                        walk(item.filter { $0.key != "id" }, path + "." + (item["id"] as? String ?? "?"))
                    }
                } else {
                    let items = array.map { item in
                        (try? JSONSerialization.data(withJSONObject: item, options: [.sortedKeys, .fragmentsAllowed]))
                            .map { String(decoding: $0, as: UTF8.self) } ?? "\(item)"
                    }
                    flat[path] = "[" + items.joined(separator: ", ") + "]"
                }
            case let number as NSNumber:
                flat[path] = "\(number)"
            default:
                flat[path] = "\(value)"
            }
        }
        walk(object, "")
        return flat
    }

    /// The policy file's spelling of a key: `maxDuration` → `max_duration` (ids are already lower-case).
    static func snake(_ key: String) -> String {
        key.reduce(into: "") { out, character in
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
    }

    func text(from: String, to: String) -> String {
        guard !changes.isEmpty else { return "no changes between \(from) and \(to)" }
        var lines = ["--- \(from)", "+++ \(to)"]
        for change in changes {
            switch (change.old, change.new) {
            case (nil, _): lines.append("+ \(change.path)")
            case (_, nil): lines.append("- \(change.path)")
            case (let old?, let new?): lines.append("~ \(change.path): \(old) → \(new)")
            }
        }
        lines.append("\(changes.count) change\(changes.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }
}
