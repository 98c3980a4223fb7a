/// `[projects]`: how long before a window closes its members are told, and the application routes the authorized
/// body defines (issue 20). A route bounds an application's award and window; an automatic route approves, without
/// an admin, an application that fits it (as IndiaAI approves requests of up to 5,000 GPU-hours each month).
public struct ProjectRule: Sendable, Hashable, Codable {
    /// Members of a project are told this long before its window closes.
    public var noticeBeforeClose: SlotDuration
    /// Routes, sorted by id.
    public var routes: [ApplicationRoute]

    public init(noticeBeforeClose: SlotDuration = .days(7), routes: [ApplicationRoute] = []) {
        self.noticeBeforeClose = noticeBeforeClose
        self.routes = routes.sorted { $0.id < $1.id }
    }

    public func route(_ id: String) -> ApplicationRoute? { routes.first { $0.id == id } }
}

/// One application route, e.g. `gateway`: at most 10,000 GPU-hours within 90 days.
public struct ApplicationRoute: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var maxGPUHours: Double
    /// The longest window, from opening to close.
    public var maxWindow: SlotDuration
    /// Categories that may apply on the route; nil: every category.
    public var categories: [String]?
    /// Whether an application that fits is approved without an admin.
    public var automatic: Bool
    public var source: SourceLocation

    public init(
        id: String, name: String, maxGPUHours: Double, maxWindow: SlotDuration, categories: [String]?,
        automatic: Bool, source: SourceLocation? = nil
    ) {
        self.id = id
        self.name = name
        self.maxGPUHours = maxGPUHours
        self.maxWindow = maxWindow
        self.categories = categories
        self.automatic = automatic
        self.source = source ?? .builtIn("projects.routes.\(id)")
    }

    /// Why an application of `gpuHours` over `[opens, closes)` (ms) in `category` does not fit, or nil when it does.
    public func misfit(gpuHours: Double, opens: Int64, closes: Int64, category: String) -> String? {
        if gpuHours > maxGPUHours { return "route '\(id)' grants at most \(maxGPUHours) GPU-hours" }
        if closes - opens > maxWindow.seconds * 1_000 {
            return "route '\(id)' grants a window of at most \(maxWindow)"
        }
        if let categories, !categories.contains(category) {
            return "route '\(id)' is open to \(categories.joined(separator: ", ")) only"
        }
        return nil
    }
}
