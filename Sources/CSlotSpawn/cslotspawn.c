#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <spawn.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "cslotspawn.h"

int cslot_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

short cslot_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int cslot_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

ssize_t cslot_getxattr(const char *path, const char *name, void *value, size_t size) {
    return getxattr(path, name, value, size);
}

/// In the child: reports where it failed on the close-on-exec pipe and exits. Async-signal-safe.
static void fail(int report, int stage) {
    int message[2] = {stage, errno};
    ssize_t ignored = write(report, message, sizeof message);
    (void)ignored;
    _exit(127);
}

static long long monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/// The slot's own watchdog: the process group's leader, root, running no program and nothing of the request's.
/// It waits for the workload and ends with its status; at the deadline it sends SIGTERM to the whole group (itself
/// excepted: it ignores SIGTERM), and SIGKILL after the grace period (itself included). It needs no daemon, so a
/// slot ends on time even while slotd is stopped or dead. The workload runs as the applicant, who cannot signal
/// a root process. Async-signal-safe calls only.
static void watchdog(pid_t workload, long long limit_ms, long long grace_ms) {
    prctl(PR_SET_NAME, "slotd-watchdog", 0, 0, 0);
    // Nothing of the daemon's is held open here (its lock, its database, its sockets): only 0-2.
    syscall(SYS_close_range, 3, ~0U, 0);
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    (void)sigaction(SIGTERM, &ignore, NULL);
    (void)sigaction(SIGINT, &ignore, NULL);
    (void)sigaction(SIGHUP, &ignore, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    long long deadline = monotonic_ms() + limit_ms;
    long long kill_at = -1;
    for (;;) {
        int status;
        pid_t done = waitpid(workload, &status, WNOHANG);
        if (done == workload) {
            if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
            int sig = WTERMSIG(status);
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            (void)sigaction(sig, &dfl, NULL);
            sigset_t one;
            sigemptyset(&one);
            sigaddset(&one, sig);
            sigprocmask(SIG_UNBLOCK, &one, NULL);
            kill(getpid(), sig);  // the same death as the workload's, so the daemon reads the same status
            _exit(128 + sig);
        }
        if (done < 0 && errno != EINTR) _exit(127);
        long long now = monotonic_ms();
        if (kill_at < 0 && now >= deadline) {
            kill(0, SIGTERM);  // the whole group; this process ignores it
            kill_at = now + grace_ms;
        } else if (kill_at >= 0 && now >= kill_at) {
            kill(0, SIGKILL);  // the whole group, this process with it
        }
        long long next = kill_at >= 0 ? kill_at : deadline;
        long long wait_ms = next - now;
        if (wait_ms < 1) wait_ms = 1;
        if (wait_ms > 1000) wait_ms = 1000;
        struct timespec timeout = {wait_ms / 1000, (wait_ms % 1000) * 1000000};
        siginfo_t info;
        (void)sigtimedwait(&chld, &info, &timeout);
    }
}

/// In the child, after fork: only async-signal-safe calls, nothing allocated.
static void child(const struct cslot_start_options *o, int report) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) (void)sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) fail(report, CSLOT_STAGE_SESSION);
    if (setsid() < 0) fail(report, CSLOT_STAGE_SESSION);
    if (dup2(o->stdin_fd, 0) < 0 || dup2(o->log_fd, 1) < 0 || dup2(o->log_fd, 2) < 0) fail(report, CSLOT_STAGE_SESSION);
    if (o->cgroup_procs_fd >= 0 && write(o->cgroup_procs_fd, "0", 1) != 1) fail(report, CSLOT_STAGE_CGROUP);
    struct rlimit nocore = {0, 0};
    if (setrlimit(RLIMIT_CORE, &nocore) != 0) fail(report, CSLOT_STAGE_LIMITS);
    if (o->unshare_net && unshare(CLONE_NEWNET) != 0) fail(report, CSLOT_STAGE_NETWORK);
    if (chdir("/") != 0) fail(report, CSLOT_STAGE_WORKDIR);
    if (o->time_limit_ms > 0) {
        // This process becomes the slot's watchdog; a second child, in the same session and group, becomes the
        // workload. The watchdog lets go of the report pipe, so the caller hears only from the workload: its
        // failure, or the pipe's close at its execve.
        pid_t workload = fork();
        if (workload < 0) fail(report, CSLOT_STAGE_FORK);
        if (workload > 0) {
            close(report);
            watchdog(workload, o->time_limit_ms, o->grace_ms);
        }
    }
    if (o->switch_user) {
        // A single-threaded child: the libc wrappers change the whole (one-thread) process.
        if (setgroups(o->group_count, o->groups) != 0) fail(report, CSLOT_STAGE_USER);
        if (setresgid(o->gid, o->gid, o->gid) != 0) fail(report, CSLOT_STAGE_USER);
        if (setresuid(o->uid, o->uid, o->uid) != 0) fail(report, CSLOT_STAGE_USER);
        // Root cannot be regained: a uid switch that could be undone would be no switch.
        if (o->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) { errno = EPERM; fail(report, CSLOT_STAGE_USER); }
    }
    // Nothing the slot runs gains privileges through setuid files or file capabilities (bubblewrap sets it too).
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(report, CSLOT_STAGE_USER);
    if (o->workdir && chdir(o->workdir) != 0) fail(report, CSLOT_STAGE_WORKDIR);
    // Everything but 0-2 and the report pipe (close-on-exec) is closed: the slot inherits nothing of the daemon.
    if (report > 3) syscall(SYS_close_range, 3, report - 1, 0);
    syscall(SYS_close_range, report + 1, ~0U, 0);
    int last = ENOENT;
    for (size_t i = 0; i < o->candidate_count; i++) {
        execve(o->candidates[i], o->argv, o->envp);
        // As execvp does: keep looking past a missing or unreadable entry, report EACCES if one was seen.
        if (errno == EACCES) last = EACCES;
        else if (errno != ENOENT && errno != ENOTDIR) { last = errno; break; }
    }
    errno = last;
    fail(report, CSLOT_STAGE_EXEC);
}

int cslot_start(const struct cslot_start_options *o, pid_t *pid, int *stage, int *error) {
    int pipefd[2];
    *stage = CSLOT_STAGE_NONE;
    *error = 0;
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        *stage = CSLOT_STAGE_FORK;
        *error = errno;
        return -1;
    }
    pid_t child_pid = fork();
    if (child_pid < 0) {
        *stage = CSLOT_STAGE_FORK;
        *error = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (child_pid == 0) {
        close(pipefd[0]);
        child(o, pipefd[1]);
    }
    close(pipefd[1]);
    int message[2];
    size_t got = 0;
    while (got < sizeof message) {
        ssize_t n = read(pipefd[0], (char *)message + got, sizeof message - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(pipefd[0]);
    if (got == 0) {  // end of file: the pipe was closed by a successful execve
        *pid = child_pid;
        return 0;
    }
    int status;
    while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR) {}
    *stage = got == sizeof message ? message[0] : CSLOT_STAGE_EXEC;
    *error = got == sizeof message ? message[1] : EIO;
    return -1;
}

/// Runs `check` with this thread's filesystem identity switched to uid/gid/groups, and restores it.
static int as_user(uid_t uid, gid_t gid, const gid_t *groups, size_t count, const char *path,
                   int (*check)(const char *)) {
    gid_t saved_groups[256];
    int saved_count = getgroups(256, saved_groups);
    if (saved_count < 0) return errno;
    gid_t saved_fsgid = (gid_t)setfsgid((gid_t)-1);
    uid_t saved_fsuid = (uid_t)setfsuid((uid_t)-1);
    // Raw system calls: glibc's setgroups changes every thread of the process; the kernel's changes this one.
    if (syscall(SYS_setgroups, count, groups) != 0) return errno;
    setfsgid(gid);
    setfsuid(uid);  // from 0 to non-zero also drops this thread's CAP_DAC_OVERRIDE and kin (capabilities(7))
    int result = ((uid_t)setfsuid((uid_t)-1) == uid) ? check(path) : EPERM;
    setfsuid(saved_fsuid);
    setfsgid(saved_fsgid);
    if (syscall(SYS_setgroups, (size_t)saved_count, saved_groups) != 0) abort();  // never run on as someone else
    if ((uid_t)setfsuid((uid_t)-1) != saved_fsuid) abort();
    return result;
}

static int directory_check(const char *path) {
    // open(O_DIRECTORY) then fchdir-free: entering needs search permission on the directory itself, and the
    // kernel checks it on every component of the path with the thread's filesystem identity.
    struct stat st;
    if (stat(path, &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    // faccessat2 with AT_EACCESS checks with the filesystem identity (not the real uid, as access(2) would).
    long r = syscall(SYS_faccessat2, fd, "", X_OK, AT_EACCESS | AT_EMPTY_PATH);
    int e = r == 0 ? 0 : errno;
    close(fd);
    return e;
}

static int executable_check(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EACCES;
    long r = syscall(SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS);
    return r == 0 ? 0 : errno;
}

int cslot_check_directory_as(uid_t uid, gid_t gid, const gid_t *groups, size_t count, const char *path) {
    return as_user(uid, gid, groups, count, path, directory_check);
}

int cslot_check_executable_as(uid_t uid, gid_t gid, const gid_t *groups, size_t count, const char *path) {
    return as_user(uid, gid, groups, count, path, executable_check);
}
