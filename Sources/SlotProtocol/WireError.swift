/// A named Varlink error: its fully qualified name and its parameters. One type for every error on the wire, so
/// the server, the client and scripts agree on names (they are part of the public contract: see the IDL).
public struct WireError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var parameters: Parameters

    /// Every parameter any slotd error carries; each error sets the ones its IDL declares.
    public struct Parameters: Codable, Sendable, Hashable {
        public var id: Int64?
        public var parameter: String?
        public var reason: String?
        public var reasons: [Reason]?
        public var method: String?
        public var interface: String?
        public var limit: Int?
        public var user: String?
        public var hint: String?
        public var version: String?

        public init(
            id: Int64? = nil, parameter: String? = nil, reason: String? = nil, reasons: [Reason]? = nil,
            method: String? = nil, interface: String? = nil, limit: Int? = nil, user: String? = nil,
            hint: String? = nil, version: String? = nil
        ) {
            self.version = version
            self.id = id
            self.parameter = parameter
            self.reason = reason
            self.reasons = reasons
            self.method = method
            self.interface = interface
            self.limit = limit
            self.user = user
            self.hint = hint
        }
    }

    public init(_ name: String, _ parameters: Parameters = Parameters()) {
        self.name = name
        self.parameters = parameters
    }

    /// The short name: `io.slotd.Requests.NotFound` → `NotFound`.
    public var shortName: String { name.split(separator: ".").last.map(String.init) ?? name }

    public var description: String {
        var text = name
        let p = parameters
        if let reason = p.reason { text += ": \(reason)" }
        if let id = p.id { text += " (request \(id))" }
        if let parameter = p.parameter { text += " [parameter \(parameter)]" }
        if let method = p.method { text += " [method \(method)]" }
        if let interface = p.interface { text += " [interface \(interface)]" }
        if let limit = p.limit { text += " [limit \(limit)]" }
        for reason in p.reasons ?? [] { text += "\n  - \(reason.message) [\(reason.code)]" }
        if let hint = p.hint { text += "\n  hint: \(hint)" }
        return text
    }
}

extension WireError {
    // org.varlink.service: the errors every Varlink service speaks.
    public static func methodNotFound(_ method: String) -> WireError {
        WireError(.serviceMethodNotFound, Parameters(method: method))
    }
    public static func interfaceNotFound(_ interface: String) -> WireError {
        WireError(.serviceInterfaceNotFound, Parameters(interface: interface))
    }
    public static func invalidParameter(_ parameter: String) -> WireError {
        WireError(.serviceInvalidParameter, Parameters(parameter: parameter))
    }

    // io.slotd.Requests
    public static func notFound(_ id: Int64) -> WireError {
        WireError(.requestsNotFound, Parameters(id: id, reason: "no request \(id) that you can see"))
    }
    public static func permissionDenied(_ interface: Interface, _ reason: String) -> WireError {
        WireError(interface.permissionDenied, Parameters(reason: reason))
    }
    public static func policyViolation(id: Int64?, _ reasons: [Reason]) -> WireError {
        WireError(
            .requestsPolicyViolation,
            Parameters(id: id, reason: "the request breaks \(reasons.count) policy rule(s)", reasons: reasons))
    }
    public static func invalid(_ interface: Interface, parameter: String, _ reason: String) -> WireError {
        WireError(interface.invalidParameter, Parameters(parameter: parameter, reason: reason))
    }
    public static func noAccount(user: String) -> WireError {
        WireError(
            .requestsNoAccount,
            Parameters(
                reason: "user '\(user)' has no account", user: user,
                hint: "ask an admin to run `slotctl account add \(user) --category ... --reason ...`"))
    }
    public static func tooManyPending(limit: Int) -> WireError {
        WireError(
            .requestsTooManyPending,
            Parameters(
                reason:
                    "you already have \(limit) requests pending, your maximum; cancel some or wait for them to start",
                limit: limit))
    }

    // io.slotd.System: protocol-level errors (the connection is closed after the first three).
    public static func invalidFrame(_ reason: String) -> WireError {
        WireError(.systemInvalidFrame, Parameters(reason: reason))
    }
    public static func frameTooLarge(limit: Int) -> WireError {
        WireError(
            .systemFrameTooLarge,
            Parameters(reason: "a frame is larger than the limit", limit: limit))
    }
    public static func tooManyConnections(limit: Int, perUser: Bool = false) -> WireError {
        WireError(
            .systemTooManyConnections,
            Parameters(
                reason: perUser
                    ? "you already hold your maximum number of connections to the daemon"
                    : "the daemon is serving its maximum number of connections", limit: limit))
    }
    public static func shuttingDown() -> WireError {
        WireError(.systemShuttingDown, Parameters(reason: "the daemon is stopping; retry shortly"))
    }
    /// The database cannot be written (full disk, I/O error): slotd grants nothing and refuses changes until a
    /// write succeeds again; reads keep working.
    public static func storeUnavailable(_ reason: String) -> WireError {
        WireError(
            .systemStoreUnavailable,
            Parameters(
                reason: "slotd cannot write its database (\(reason)); it grants no slot and accepts no change until it "
                    + "can, and reads keep working"))
    }
    /// The database's or the logs' filesystem is nearly full: no new request is taken.
    public static func diskNearlyFull(_ what: String, freeMiB: Int, limit: Int) -> WireError {
        WireError(
            .systemDiskNearlyFull,
            Parameters(
                reason:
                    "\(what) has \(freeMiB) MiB free, under the \(limit) MiB slotd keeps free; no new request is taken "
                    + "until an operator frees space (reads, cancels and running slots go on)", limit: limit))
    }
    /// The caller made more calls of an expensive kind than its share allows.
    public static func rateLimited(_ method: String, limit: Int) -> WireError {
        WireError(
            .systemRateLimited,
            Parameters(
                reason: "you made more than \(limit) \(method) calls in the last minute; wait and retry", limit: limit))
    }
    public static func internalError(_ reason: String) -> WireError {
        WireError(.systemInternalError, Parameters(reason: reason))
    }
}

extension WireError {
    /// Every error name slotd sends: the constants of the contract (`WireErrorNameTests` holds them to the IDL, one
    /// for one). A received name may be any string (`name`); a sent one is always one of these.
    public enum Name: String, Sendable, CaseIterable {
        case requestsNotFound = "io.slotd.Requests.NotFound"
        case requestsPermissionDenied = "io.slotd.Requests.PermissionDenied"
        case requestsPolicyViolation = "io.slotd.Requests.PolicyViolation"
        case requestsNoAccount = "io.slotd.Requests.NoAccount"
        case requestsInvalidParameter = "io.slotd.Requests.InvalidParameter"
        case requestsAgreementRequired = "io.slotd.Requests.AgreementRequired"
        case requestsTooManyPending = "io.slotd.Requests.TooManyPending"
        case accountsAgreementMismatch = "io.slotd.Accounts.AgreementMismatch"
        case accountsNotFound = "io.slotd.Accounts.NotFound"
        case accountsPermissionDenied = "io.slotd.Accounts.PermissionDenied"
        case accountsInvalidParameter = "io.slotd.Accounts.InvalidParameter"
        case policyInvalid = "io.slotd.Policy.Invalid"
        case policyPermissionDenied = "io.slotd.Policy.PermissionDenied"
        case policyInvalidParameter = "io.slotd.Policy.InvalidParameter"
        case systemInvalidFrame = "io.slotd.System.InvalidFrame"
        case systemFrameTooLarge = "io.slotd.System.FrameTooLarge"
        case systemTooManyConnections = "io.slotd.System.TooManyConnections"
        case systemShuttingDown = "io.slotd.System.ShuttingDown"
        case systemInternalError = "io.slotd.System.InternalError"
        case systemStoreUnavailable = "io.slotd.System.StoreUnavailable"
        case systemDiskNearlyFull = "io.slotd.System.DiskNearlyFull"
        case systemRateLimited = "io.slotd.System.RateLimited"
        case systemPermissionDenied = "io.slotd.System.PermissionDenied"
        case systemInvalidParameter = "io.slotd.System.InvalidParameter"
        case contestsNotFound = "io.slotd.Contests.NotFound"
        case contestsPermissionDenied = "io.slotd.Contests.PermissionDenied"
        case contestsNotContestable = "io.slotd.Contests.NotContestable"
        case contestsInvalidParameter = "io.slotd.Contests.InvalidParameter"
        case reportsPermissionDenied = "io.slotd.Reports.PermissionDenied"
        case reportsInvalidParameter = "io.slotd.Reports.InvalidParameter"
        case projectsNotFound = "io.slotd.Projects.NotFound"
        case projectsPermissionDenied = "io.slotd.Projects.PermissionDenied"
        case projectsInvalidParameter = "io.slotd.Projects.InvalidParameter"
        case serviceInterfaceNotFound = "org.varlink.service.InterfaceNotFound"
        case serviceMethodNotFound = "org.varlink.service.MethodNotFound"
        case serviceMethodNotImplemented = "org.varlink.service.MethodNotImplemented"
        case serviceInvalidParameter = "org.varlink.service.InvalidParameter"
        case serviceExpectedMore = "org.varlink.service.ExpectedMore"
        case servicePermissionDenied = "org.varlink.service.PermissionDenied"
    }

    /// The interfaces whose errors slotd names, for the errors every interface declares.
    public enum Interface: String, Sendable, CaseIterable {
        case requests = "io.slotd.Requests", accounts = "io.slotd.Accounts", policy = "io.slotd.Policy"
        case system = "io.slotd.System", contests = "io.slotd.Contests", reports = "io.slotd.Reports"
        case projects = "io.slotd.Projects"

        /// Its `InvalidParameter`.
        public var invalidParameter: Name {
            switch self {
            case .requests: .requestsInvalidParameter
            case .accounts: .accountsInvalidParameter
            case .policy: .policyInvalidParameter
            case .system: .systemInvalidParameter
            case .contests: .contestsInvalidParameter
            case .reports: .reportsInvalidParameter
            case .projects: .projectsInvalidParameter
            }
        }

        /// Its `PermissionDenied`.
        public var permissionDenied: Name {
            switch self {
            case .requests: .requestsPermissionDenied
            case .accounts: .accountsPermissionDenied
            case .policy: .policyPermissionDenied
            case .system: .systemPermissionDenied
            case .contests: .contestsPermissionDenied
            case .reports: .reportsPermissionDenied
            case .projects: .projectsPermissionDenied
            }
        }
    }

    public init(_ name: Name, _ parameters: Parameters = Parameters()) {
        self.init(name.rawValue, parameters)
    }
}
