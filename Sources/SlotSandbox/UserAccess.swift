import CSlotSpawn
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Path checks made **with an applicant's permissions**, never root's: the working directory at Submit, the
/// program at start. As root, slotd switches the calling thread's filesystem identity to the user for the check
/// (`setfsuid`, `setfsgid` and `setgroups` as raw system calls, which act on one thread; restored before it
/// returns), so the kernel applies her permissions on every component of the path. Without root, slotd can check
/// only as itself: that is right for the process executor (its slots then run as slotd's own user), while for
/// another user's slot under the systemd executor (slotd as the `slotd` user) no check is possible here, and
/// systemd applies `WorkingDirectory=` after it has switched to the slot's `User=`, with her permissions.
public enum UserAccess {
    /// 0 when `path` is a directory `user` may enter, else an errno (ENOTDIR when it is no directory). 0 as well
    /// when slotd can neither take `user`'s identity nor is it (see the type's note): the executor checks then.
    public static func checkDirectory(_ path: String, as user: SlotUser?) -> Int32 {
        if cannotCheck(as: user) { return 0 }
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

    /// 0 when `path` is a regular file `user` may execute, else an errno. When slotd cannot take `user`'s
    /// identity (see the type's note), only what slotd itself can see is answered: a path it cannot reach
    /// (EACCES) is left to the executor, which starts the program as `user`, with her permissions.
    public static func checkExecutable(_ path: String, as user: SlotUser?) -> Int32 {
        if cannotCheck(as: user) {
            var info = stat()
            guard stat(path, &info) == 0 else { return errno == EACCES ? 0 : errno }
            return info.st_mode & S_IFMT == S_IFREG ? 0 : EACCES
        }
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

    /// slotd is not root and `user` is someone else: her permissions cannot be taken, and slotd's own would be
    /// the wrong answer.
    static func cannotCheck(as user: SlotUser?) -> Bool {
        guard let user else { return false }
        return getuid() != 0 && user.uid != getuid()
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
