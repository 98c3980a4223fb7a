// libsystemd's non-variadic entry points used by slotd: sd_notify, sd_listen_fds_with_names, sd_journal_sendv,
// sd_booted, and sd-bus (append_basic, open/close_container, call) for the systemd executor. (Variadic functions such as sd_journal_send do not import into Swift.)
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-bus.h>
