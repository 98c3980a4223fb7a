import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who is calling, as the kernel says (`SO_PEERCRED` on the connection), never as a message claims (Art. 8, 10).
public struct Caller: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    /// The user name of `uid` (or `uid-N` when it has none): the account name.
    public var user: String
    /// Root, a member of the admin group, or (dev mode only) the user running the daemon.
    public var isAdmin: Bool

    public var description: String { "\(user) (uid \(uid), pid \(pid))" }

    /// Resolves the user name and role of a peer.
    public static func resolve(uid: UInt32, gid: UInt32, pid: Int32, adminGroup: String, devAdminUID: UInt32?)
        -> Caller
    {
        let name = userName(uid) ?? "uid-\(uid)"
        let admin = uid == 0 || uid == devAdminUID || isMember(user: name, gid: gid, of: adminGroup)
        return Caller(uid: uid, gid: gid, pid: pid, user: name, isAdmin: admin)
    }

    static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4_096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return nil }
        return String(cString: name)
    }

    /// True when `user` (primary group `gid`) belongs to `group`.
    static func isMember(user: String, gid: UInt32, of group: String) -> Bool {
        var entry = group_struct()
        var result: UnsafeMutablePointer<group_struct>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return false }
        if entry.gr_gid == gid { return true }
        var member = entry.gr_mem
        while let pointer = member?.pointee {
            if String(cString: pointer) == user { return true }
            member = member?.successor()
        }
        return false
    }

    /// The uid and primary gid of a user name.
    public static func lookup(user: String) -> (uid: UInt32, gid: UInt32)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4_096)
        guard getpwnam_r(user, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }
}

typealias group_struct = group

/// `struct ucred` as the kernel fills it for `SO_PEERCRED` (Glibc hides it behind `_GNU_SOURCE`).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
