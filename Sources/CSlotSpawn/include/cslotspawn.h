// The GNU extensions of posix_spawn that slotd needs, and getxattr(2). Swift's Glibc module is built without
// _GNU_SOURCE and without <sys/xattr.h>, so they are not visible from Swift; cslotspawn.c includes them and forwards.
#ifndef CSLOTSPAWN_H
#define CSLOTSPAWN_H

#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addchdir_np: the child changes to `path` before exec.
int cslot_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// POSIX_SPAWN_SETSID: the child starts a new session (and so leads a new process group).
short cslot_spawn_setsid_flag(void);


/// Closes every descriptor >= lowfd in the child (glibc 2.34+): a workload inherits nothing of the daemon's
/// (its sockets, its database, its lock), whether or not each was opened close-on-exec.
int cslot_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);
/// getxattr(2): the value of extended attribute `name` of `path` (systemd marks delegated cgroups with one).
ssize_t cslot_getxattr(const char *path, const char *name, void *value, size_t size);
#endif
