#pragma once

#include <berth/base/result.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace berth
{

// A set of capabilities as a bit mask (bit n = capability number n).
using CapabilitySet = uint64_t;

// Podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL
// NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT.
CapabilitySet defaultCapabilities();
// Every capability this kernel knows (up to /proc/sys/kernel/cap_last_cap).
CapabilitySet allCapabilities();

// "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" → its number.
Result<int> parseCapability(const std::string& name);
std::string capabilityName(int number);

// Podman's rules: --cap-add=all gives every capability minus the drops;
// --cap-drop=all starts from none plus the adds; otherwise defaults plus
// adds minus drops.
Result<CapabilitySet> applyCapabilityChanges(CapabilitySet base,
                                             const std::vector<std::string>& add,
                                             const std::vector<std::string>& drop);

// The highest capability number this kernel knows.
int lastCapabilityNumber();

// In the child, between fork and execve (async-signal-safe): drops every
// capability outside `set` from the bounding set, up to `lastCap`.
int dropBoundingSet(CapabilitySet set, int lastCap);
// Sets effective/permitted to `set` (inheritable and ambient empty).
int setProcessCapabilities(CapabilitySet set);

} // namespace berth
