// The GNU extensions of posix_spawn that slotd needs. Swift's Glibc module is built without _GNU_SOURCE,
// so they are not visible from Swift; cslotspawn.c compiles with it and forwards.
#ifndef CSLOTSPAWN_H
#define CSLOTSPAWN_H

#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np: the child changes to `path` before exec.
int cslot_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// POSIX_SPAWN_SETSID: the child starts a new session (and so leads a new process group).
short cslot_spawn_setsid_flag(void);


/// Closes every descriptor >= lowfd in the child (glibc 2.34+): a workload inherits nothing of the daemon's
/// (its sockets, its database, its lock), whether or not each was opened close-on-exec.
int cslot_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);
#endif
