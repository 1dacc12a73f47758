#pragma once

#include <berth/base/result.hpp>

namespace berth
{

// The fds berth was started with, checked before it opens anything of its
// own. Whatever berth opens takes the lowest free number, and the pod's
// service app is handed stdio and systemd's fds 3..3+LISTEN_FDS-1 by
// number: a number that is free at start-up would hand the app berth's own
// fd (the store, its index), and through /proc/self/fd/N/.. the host.
//
// stdio that is closed is opened on /dev/null, so that no later open lands
// on it. An fd that LISTEN_FDS names (when LISTEN_PID is berth's pid) and
// that is not open is an error: berth refuses to start.
Result<void> checkInheritedFds();

} // namespace berth
