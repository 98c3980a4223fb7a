import CSlotSpawn
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Path checks made **with an applicant's permissions**, never root's: the working directory at Submit, the
/// program at start. As root, slotd switches the calling thread's filesystem identity to the user for the check
/// (`setfsuid`, `setfsgid` and `setgroups` as raw system calls, which act on one thread; restored before it
/// returns), so the kernel applies her permissions on every component of the path. Without root, slots run as
/// slotd's own user, whose own permissions are then the right ones.
public enum UserAccess {
    /// 0 when `path` is a directory `user` may enter, else an errno (ENOTDIR when it is no directory).
    public static func checkDirectory(_ path: String, as user: SlotUser?) -> Int32 {
        if let identity = switchedIdentity(user) {
            return identity.groups.withUnsafeBufferPointer {
                cslot_check_directory_as(identity.uid, identity.gid, $0.baseAddress, $0.count, path)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return errno }
        guard info.st_mode & S_IFMT == S_IFDIR else { return ENOTDIR }
        return access(path, X_OK) == 0 ? 0 : errno
    }

    /// 0 when `path` is a regular file `user` may execute, else an errno.
    public static func checkExecutable(_ path: String, as user: SlotUser?) -> Int32 {
        if let identity = switchedIdentity(user) {
            return identity.groups.withUnsafeBufferPointer {
                cslot_check_executable_as(identity.uid, identity.gid, $0.baseAddress, $0.count, path)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return errno }
        guard info.st_mode & S_IFMT == S_IFREG else { return EACCES }
        return access(path, X_OK) == 0 ? 0 : errno
    }

    /// The identity to check as, when it is not slotd's own and slotd is root (only root can take another's).
    static func switchedIdentity(_ user: SlotUser?) -> ProcessSpawn.Identity? {
        guard let user, getuid() == 0, user.uid != 0 else { return nil }
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[user] }), now < cached.until { return cached.identity }
        let identity = ProcessSpawn.Identity(user)
        cache.withLock { cache in
            if cache.count >= 4_096 { cache.removeAll() }  // bounded: one entry per user seen in the last minute
            cache[user] = (identity, now + .seconds(60))
        }
        return identity
    }

    /// Each user's supplementary groups for a minute: Submit checks a directory on every call, and reading the
    /// group database (NSS, perhaps LDAP) each time would cost more than the check.
    private static let cache = Mutex<[SlotUser: (identity: ProcessSpawn.Identity, until: ContinuousClock.Instant)]>([:])
}
