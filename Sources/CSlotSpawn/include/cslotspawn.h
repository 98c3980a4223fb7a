// slotd's process start, and the GNU extensions and system calls that Swift's Glibc module does not show (it is
// built without _GNU_SOURCE and without <sys/xattr.h>, <sys/fsuid.h>).
#ifndef CSLOTSPAWN_H
#define CSLOTSPAWN_H

#include <spawn.h>
#include <stddef.h>
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

/// How `cslot_start` starts a slot's process. Everything is prepared by the caller: the child allocates nothing.
struct cslot_start_options {
    /// Absolute paths to try in order (a bare name looked up on the slot's PATH gives one per directory); the
    /// first that execve accepts runs. Tried after the switch to the slot's user, so with its permissions.
    const char *const *candidates;
    size_t candidate_count;
    /// argv and envp for execve, NULL-terminated. envp reaches only the final execve, after the user switch.
    char *const *argv;
    char *const *envp;
    /// Changed into after the switch to the user (so with its permissions); NULL: stay in "/".
    const char *workdir;
    /// stdin (/dev/null), and stdout+stderr (the log), opened by the caller.
    int stdin_fd;
    int log_fd;
    /// `cgroup.procs` of the slot's cgroup, opened for writing by the caller; -1: no cgroup. The child writes "0"
    /// (moves itself) before anything else, so everything the slot ever starts is in it.
    int cgroup_procs_fd;
    /// 1: a new, empty network namespace (needs root; done before the user switch).
    int unshare_net;
    /// 1: switch to uid/gid with exactly these supplementary groups before the working directory and the program.
    int switch_user;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t group_count;
    /// > 0: a watchdog (the process whose pid is returned, root, in the slot's group) ends the slot this many
    /// milliseconds after its start, SIGTERM to the group and SIGKILL `grace_ms` later, with no daemon needed, and
    /// otherwise ends with the workload's own status. 0: no watchdog; the pid is the workload's.
    long long time_limit_ms;
    long long grace_ms;
};

/// Where the child failed, with errno (`cslot_start` reports them; the stage names are in ProcessSpawn.swift).
enum cslot_stage {
    CSLOT_STAGE_NONE = 0,
    CSLOT_STAGE_SESSION = 1,
    CSLOT_STAGE_CGROUP = 2,
    CSLOT_STAGE_LIMITS = 3,
    CSLOT_STAGE_NETWORK = 4,
    CSLOT_STAGE_USER = 5,
    CSLOT_STAGE_WORKDIR = 6,
    CSLOT_STAGE_EXEC = 7,
    CSLOT_STAGE_FORK = 8,
};

/// Starts a slot's process: fork, then in the child, in this order: default signal dispositions and an empty mask;
/// a new session; stdin, stdout and stderr; the cgroup; no core dumps (RLIMIT_CORE 0); the network namespace;
/// with a time limit, the fork of the workload under its watchdog (see `time_limit_ms`);
/// no_new_privs; the user switch (groups, gid, uid, all three of real, effective and saved); the working directory;
/// every other descriptor closed; execve of the first candidate that runs. Nothing the request controls (its
/// environment, its paths, its program) is used before the user switch, and no program runs as root on its way.
/// Returns 0 and the pid, or -1 with the stage and errno where the child stopped (it then has been reaped).
int cslot_start(const struct cslot_start_options *options, pid_t *pid, int *stage, int *error);

/// Checks, with the permissions of uid/gid/groups (this thread's filesystem identity is switched, then restored:
/// setfsuid(2) and setgroups(2) as raw system calls act on the calling thread only), that `path` is a directory
/// the user can enter. Returns 0, or an errno (ENOTDIR when it is not a directory).
int cslot_check_directory_as(uid_t uid, gid_t gid, const gid_t *groups, size_t group_count, const char *path);
/// The same for a program: `path` is a regular file the user may execute. Returns 0 or an errno.
int cslot_check_executable_as(uid_t uid, gid_t gid, const gid_t *groups, size_t group_count, const char *path);
#endif
