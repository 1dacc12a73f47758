#pragma once

#include <string>

namespace berth::cli
{

// Where the front is linked statically (BERTH_STATIC_FRONT), its glibc can
// use NSS modules (sss, ldap, systemd) and libsubid only by loading them
// from the shared glibc it was built against, which an upgrade may replace.
// So the front looks users and groups up in /etc/passwd and /etc/group
// alone, which its glibc has built in, and leaves callers known only to
// another service, or whose subordinate ids come from one, to the
// dynamically linked engine; and root, whose runs use the system store,
// when /etc/group has no group berth. In a dynamically linked front both
// are no-ops.

// Call first, before anything looks up a user or group.
void limitUserLookupsToFiles();

// Why the engine, not the front, must run a pod for the calling user; ""
// when the front can.
std::string engineNeededForCaller();

} // namespace berth::cli
