import SlotCore
import TOMLKit

extension PolicyLoader {
    static func readAging(_ top: inout TableReader) -> AgingRule? {
        guard var table = top.table("aging", allowed: ["points_per_hour", "cap"]) else { return nil }
        defer { table.finish() }
        let perHour = table.integer("points_per_hour", in: 0...100_000)
        let cap = table.integer("cap", in: 0...10_000_000)
        guard let perHour, let cap else { return nil }
        return AgingRule(pointsPerHour: perHour, cap: cap, source: table.location("points_per_hour"))
    }

    static func readFairShare(_ top: inout TableReader) -> FairShareRule? {
        guard var table = top.table("fair_share", allowed: ["weight", "half_life"]) else { return nil }
        defer { table.finish() }
        let weight = table.integer("weight", in: weightRange)
        let halfLife = table.duration("half_life", in: .hours(1)...(.days(365)))
        guard let weight, let halfLife else { return nil }
        return FairShareRule(weight: weight, halfLife: halfLife, source: table.location("weight"))
    }

    static func readDefaults(_ top: inout TableReader) -> PolicyDefaults? {
        guard var table = top.table("defaults", allowed: ["duration", "budget_period"], required: false) else {
            return top.table.contains(key: "defaults") ? nil : PolicyDefaults()
        }
        defer { table.finish() }
        let fallback = PolicyDefaults()
        let duration = table.duration("duration", in: SlotDuration(seconds: 60)...(.days(90)), required: false)
        let period = table.duration("budget_period", in: .days(1)...(.days(366)), required: false)
        let durationGiven = table.table.contains(key: "duration")
        let periodGiven = table.table.contains(key: "budget_period")
        if (durationGiven && duration == nil) || (periodGiven && period == nil) { return nil }
        return PolicyDefaults(duration: duration ?? fallback.duration, budgetPeriod: period ?? fallback.budgetPeriod)
    }

    /// `[sectors.<id>]` tables. TOML itself rejects an id defined twice.
    static func readSectors(_ top: inout TableReader) -> [Sector]? {
        readEntries(&top, section: "sectors", allowed: sectorKeys, noun: "sectors") { entry, id in
            let name = entry.string("name", maxLength: 80)
            let weight = entry.integer("weight", in: weightRange)
            _ = entry.string("description", required: false, maxLength: 2_000)
            guard let name, let weight else { return nil }
            return Sector(id: id, name: name, weight: weight, source: entry.location("weight"))
        }
    }

    /// `[categories.<id>]` tables; `sectors` references are resolved against the declared sector ids.
    static func readCategories(_ top: inout TableReader, declaredSectors: [String]) -> [ApplicantCategory]? {
        readEntries(&top, section: "categories", allowed: categoryKeys, noun: "applicant categories") { entry, id in
            let name = entry.string("name", maxLength: 80)
            let weight = entry.integer("weight", in: weightRange)
            _ = entry.string("description", required: false, maxLength: 2_000)
            let maxDuration = entry.duration("max_duration", in: SlotDuration(seconds: 60)...(.days(90)))
            let gpus = entry.integer("max_concurrent_gpus", in: 0...100_000)
            let hours = entry.integer("gpu_hours_per_period", in: 0...1_000_000_000)
            let sectors = entry.strings("sectors").flatMap {
                resolve($0, in: declaredSectors, at: entry.path + ["sectors"], sink: entry.sink)
            }
            let types = entry.table.contains(key: "gpu_types") ? gpuTypes(&entry) : .some(nil)
            guard let name, let weight, let maxDuration, let gpus, let hours, let sectors, let types else {
                return nil
            }
            var category = ApplicantCategory(
                id: id, name: name, weight: weight, maxDuration: maxDuration, maxConcurrentGPUs: Int(gpus),
                gpuHoursPerPeriod: hours, sectors: sectors, source: entry.location("weight")
            )
            category.gpuTypes = types
            return category
        }
    }

    /// A category's `gpu_types`: the GPU types its applicants may use, each a type name, once. `.some(nil)` is never
    /// returned here; nil means an error was reported.
    static func gpuTypes(_ entry: inout TableReader) -> [String]?? {
        guard let types = entry.strings("gpu_types") else { return nil }
        let expected =
            "GPU type names (1 to 32 lower-case letters, digits, '-', '_' or '.'), each once, e.g. [\"h100\"]"
        guard types.allSatisfy({ GPU.isValidType($0) }), Set(types).count == types.count else {
            entry.sink.error(
                "policy.range", at: entry.location("gpu_types"), "'gpu_types' = \(types) is not a list of GPU types",
                expected: expected, hint: "write the types as `slotctl resources` shows them")
            return nil
        }
        return .some(types)
    }

    /// `[gpu_rates]`: what one GPU-hour of each type costs against budgets, e.g. `h100 = 2.0` (absent types: 1).
    static func readGPURates(_ top: inout TableReader) -> [String: Double]? {
        guard let raw = top.table["gpu_rates"] else { return [:] }
        let keys = raw.table?.keys ?? []
        guard var table = top.table("gpu_rates", allowed: Array(keys)) else { return nil }
        defer { table.finish() }
        var rates: [String: Double] = [:]
        var complete = true
        for type in keys {
            guard GPU.isValidType(type) else {
                table.sink.error(
                    "policy.id", at: table.location(type), "'\(type)' is not a GPU type",
                    expected: "1 to 32 lower-case letters, digits, '-', '_' or '.', starting with a letter",
                    hint: "write the type as `slotctl resources` shows it, e.g. h100")
                _ = table.number(type, in: 0.01...100)
                complete = false
                continue
            }
            if let rate = table.number(type, in: 0.01...100) { rates[type] = rate } else { complete = false }
        }
        return complete ? rates : nil
    }

    /// Reads every `[section.<id>]` table with `body`; nil when the section is missing, empty, or any entry is bad
    /// (every entry is still read, so all of their errors are reported).
    static func readEntries<Entry>(
        _ top: inout TableReader, section: String, allowed: [String], noun: String,
        _ body: (inout TableReader, String) -> Entry?
    ) -> [Entry]? {
        guard let table = top.table(section, allowed: []) else { return nil }
        guard !table.table.isEmpty else {
            top.sink.error(
                "policy.range", at: top.location(section), "no \(noun) are declared",
                expected: "at least one [\(section).<id>] table",
                hint: "see Policies/default.toml for an example")
            return nil
        }
        var entries: [Entry] = []
        var complete = true
        for id in table.table.keys {
            guard validID(id, at: [section, id], sink: top.sink),
                var entry = entryTable(table.table[id], id: id, section: section, allowed: allowed, sink: top.sink)
            else {
                complete = false
                continue
            }
            let value = body(&entry, id)
            entry.finish()
            if let value { entries.append(value) } else { complete = false }
        }
        return complete ? entries : nil
    }

    static func entryTable(
        _ value: (any TOMLValueConvertible)?, id: String, section: String, allowed: [String],
        sink: DiagnosticSink
    ) -> TableReader? {
        guard let table = value?.table else {
            sink.error(
                "policy.type", at: sink.location([section, id]), "'\(section).\(id)' is not a table",
                expected: "[\(section).\(id)] with keys \(allowed.joined(separator: ", "))",
                hint: "write it as a [\(section).\(id)] table header followed by its keys")
            return nil
        }
        return TableReader(table, path: [section, id], allowed: allowed, sink: sink)
    }

    static func validID(_ id: String, at path: [String], sink: DiagnosticSink) -> Bool {
        let scalars = Array(id.unicodeScalars)
        let valid =
            (1...32).contains(scalars.count) && ("a"..."z").contains(scalars[0])
            && scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        if !valid {
            let fixed = id.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            sink.error(
                "policy.id", at: sink.location(path), "'\(id)' is not a valid id", expected: idPattern,
                hint: "for example '\(String(fixed).prefix(32))'")
        }
        return valid
    }

    /// Checks that every name is a known sector or a lone "*", with no repeats; reports every bad one.
    static func resolve(_ names: [String], in ids: [String], at path: [String], sink: DiagnosticSink) -> [String]? {
        var ok = true
        var seen: [String: Int] = [:]
        for name in names {
            let occurrence = seen[name, default: 0]
            seen[name] = occurrence + 1
            let location = sink.location(ofLiteral: name, occurrence: occurrence, in: path)
            if name == "*" {
                if names.count > 1 {
                    sink.error(
                        "policy.reference", at: location, "\"*\" must be the only entry of 'sectors'",
                        expected: "[\"*\"] for every sector, or a list of sector ids",
                        hint: "keep [\"*\"] alone, or list the sectors without it")
                    ok = false
                }
            } else if !ids.contains(name) {
                sink.error(
                    "policy.reference", at: location, "unknown sector '\(name)'",
                    expected: "one of: \(ids.sorted().joined(separator: ", ")), or \"*\"",
                    hint: suggestion(for: name, among: ids) ?? "declare it as [sectors.\(name)] first")
                ok = false
            }
            if occurrence > 0 {
                sink.error(
                    "policy.duplicate", at: location, "sector '\(name)' is listed twice",
                    expected: "each sector at most once", hint: "remove the repeat")
                ok = false
            }
        }
        return ok ? names : nil
    }
}

/// What reading an optional table gave: nil when it had errors, `.some(nil)` when it is absent.
struct OptionalEntry<Value> {
    var reference: Value?
}

extension PolicyLoader {
    /// `[agreement]`: the user agreement's file and version (optional; without it no acceptance is required).
    /// The file is read by the daemon, relative to the policy file's directory; only its form is checked here.
    static func readAgreement(_ top: inout TableReader) -> OptionalEntry<AgreementReference>? {
        guard var table = top.table("agreement", allowed: ["file", "version"], required: false) else {
            return top.table.contains(key: "agreement") ? nil : OptionalEntry(reference: nil)
        }
        defer { table.finish() }
        let file = table.string("file", maxLength: 400)
        let version = table.string("version", maxLength: 64)
        guard let file, let version else { return nil }
        guard !file.split(separator: "/").contains("..") else {
            table.sink.error(
                "policy.range", at: table.location("file"), "'file' may not leave the policy directory",
                expected: "a path inside the policy file's directory, or an absolute path",
                hint: "e.g. file = \"agreement.md\"")
            return nil
        }
        return OptionalEntry(
            reference: AgreementReference(
                file: file, version: version,
                source: table.location("version")))
    }

    /// `[contests]`: bounds on the priority boost a granted contest may give (optional; defaults apply).
    static func readContests(_ top: inout TableReader) -> ContestRule? {
        guard var table = top.table("contests", allowed: ["max_boost", "max_boost_duration"], required: false) else {
            return top.table.contains(key: "contests") ? nil : ContestRule()
        }
        defer { table.finish() }
        let fallback = ContestRule()
        let boostGiven = table.table.contains(key: "max_boost")
        let durationGiven = table.table.contains(key: "max_boost_duration")
        let boost = table.integer("max_boost", in: 0...weightRange.upperBound, required: false)
        let duration = table.duration("max_boost_duration", in: .hours(1)...(.days(90)), required: false)
        if (boostGiven && boost == nil) || (durationGiven && duration == nil) { return nil }
        return ContestRule(
            maxBoost: boost ?? fallback.maxBoost, maxBoostDuration: duration ?? fallback.maxBoostDuration,
            source: boostGiven ? table.location("max_boost") : nil)
    }
}

extension PolicyLoader {
    static let routeKeys = ["name", "description", "max_gpu_hours", "max_window", "categories", "automatic"]

    /// `[projects]` (optional): `notice_before_close` and `[projects.routes.<id>]` application routes, whose
    /// `categories` resolve against the declared categories ("*" or absent: every category).
    static func readProjects(_ top: inout TableReader, declaredCategories: [String]) -> ProjectRule? {
        guard var table = top.table("projects", allowed: ["notice_before_close", "routes"], required: false) else {
            return top.table.contains(key: "projects") ? nil : ProjectRule()
        }
        defer { table.finish() }
        let noticeGiven = table.table.contains(key: "notice_before_close")
        let notice = table.duration("notice_before_close", in: .hours(1)...(.days(90)), required: false)
        if noticeGiven && notice == nil { return nil }
        var routes: [ApplicationRoute] = []
        var complete = true
        if let list = table.table(
            "routes", allowed: table.table["routes"]?.table.map { Array($0.keys) } ?? [], required: false)
        {
            for id in list.table.keys {
                let path = ["projects", "routes", id]
                guard validID(id, at: path, sink: list.sink) else {
                    complete = false
                    continue
                }
                guard let value = list.table[id]?.table else {
                    list.sink.error(
                        "policy.type", at: list.sink.location(path), "'projects.routes.\(id)' is not a table",
                        expected: "[projects.routes.\(id)] with keys \(routeKeys.joined(separator: ", "))",
                        hint: "write it as a [projects.routes.\(id)] table header followed by its keys")
                    complete = false
                    continue
                }
                var entry = TableReader(value, path: path, allowed: routeKeys, sink: list.sink)
                let route = readRoute(&entry, id: id, declaredCategories: declaredCategories)
                entry.finish()
                if let route { routes.append(route) } else { complete = false }
            }
        } else if table.table.contains(key: "routes") {
            complete = false
        }
        guard complete else { return nil }
        return ProjectRule(noticeBeforeClose: notice ?? ProjectRule().noticeBeforeClose, routes: routes)
    }

    static func readRoute(_ entry: inout TableReader, id: String, declaredCategories: [String]) -> ApplicationRoute? {
        let name = entry.string("name", maxLength: 80)
        _ = entry.string("description", required: false, maxLength: 2_000)
        let hours = entry.number("max_gpu_hours", in: 1...1e9)
        let window = entry.duration("max_window", in: .days(1)...(.days(3 * 366)))
        let automatic = entry.boolean("automatic")
        var categories: [String]?? = .some(nil)
        if entry.table.contains(key: "categories") {
            categories = entry.strings("categories").map { names -> [String]? in
                names == ["*"] ? nil : names
            }
            if case .some(.some(let names)) = categories {
                for name in names where !declaredCategories.contains(name) {
                    entry.sink.error(
                        "policy.reference", at: entry.location("categories"), "unknown category '\(name)'",
                        expected: "one of: \(declaredCategories.sorted().joined(separator: ", ")), or \"*\"",
                        hint: suggestion(for: name, among: declaredCategories) ?? "declare [categories.\(name)] first")
                    categories = nil
                }
            }
        }
        guard let name, let hours, let window, let automatic, let categories else { return nil }
        return ApplicationRoute(
            id: id, name: name, maxGPUHours: hours, maxWindow: window, categories: categories, automatic: automatic,
            source: entry.location("max_gpu_hours"))
    }
}
