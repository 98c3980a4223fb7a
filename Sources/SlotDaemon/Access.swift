import Synchronization
import SlotProtocol

/// Who may call a method at all. Each route names one (`Routes.swift`), and `Access.check` is the only place it
/// is enforced, before the handler runs and before its parameters are looked at.
enum Access: String, Sendable, CaseIterable {
    /// Whoever can connect to the socket, with or without an account.
    case anyone
    /// A caller with an account (`NoAccount` otherwise); admins are no exception.
    case account
    /// Root, a member of `admin_group`, or the dev-mode user (`PermissionDenied` otherwise).
    case admin
    /// An account holder or an admin (`NoAccount` otherwise): an admin acts on everyone's data without an account.
    case accountOrAdmin = "account or admin"

    /// Throws the named error when `caller` may not call `method`.
    func check(_ method: String, _ caller: Caller, accounts: AccountRoster, adminGroup: String) throws(WireError) {
        switch self {
        case .anyone:
            return
        case .account:
            guard accounts.contains(caller.user) else { throw .noAccount(user: caller.user) }
        case .accountOrAdmin:
            guard caller.isAdmin || accounts.contains(caller.user) else { throw .noAccount(user: caller.user) }
        case .admin:
            guard caller.isAdmin else {
                throw Self.adminRequired(Route.errorInterface(of: method), method, adminGroup: adminGroup)
            }
        }
    }

    static func adminRequired(_ interface: WireError.Interface, _ what: String, adminGroup: String) -> WireError {
        .permissionDenied(interface, "\(what) needs an admin (root or a member of '\(adminGroup)')")
    }
}

/// What a caller sees of the objects a call names, once `Access` let the call in. The rule is enforced by one
/// function per kind of object (`Engine.visibleRequest` for requests; `Engine.ownScope` for lists and reports),
/// and stated per route so the table in `docs/daemon.md` says all of it.
enum Scope: String, Sendable {
    /// The call names no one's data, or only the caller's own (`Whoami`, `Agreement`).
    case none = ""
    /// A request by id: its owner or an admin; anyone else gets `NotFound`, as for an id that does not exist.
    case ownerOrAdmin = "owner or admin (others: NotFound)"
    /// A request by id, for its owner only (a right of the applicant's: contesting); others get `NotFound`.
    case owner = "owner only (others: NotFound)"
    /// The caller's own rows; an admin may ask for everyone's.
    case ownUnlessAdmin = "own; admins: all"
    /// Everyone's, anonymised for all but admins (position, class and size of others' requests).
    case anonymised = "others anonymised"
}

/// The account names slotd knows, readable without a hop onto the engine: `Access.check` runs for every call, and
/// Submit is the hot path. The engine is its only writer and updates it with every change of `Engine.accounts`.
final class AccountRoster: Sendable {
    private let names = Mutex<Set<String>>([])

    func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }
    func insert(_ name: String) { names.withLock { _ = $0.insert(name) } }
    func remove(_ name: String) { names.withLock { _ = $0.remove(name) } }
}
