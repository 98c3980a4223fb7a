#define _GNU_SOURCE
#include <spawn.h>
#include <sys/xattr.h>
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
