#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth
{

// One line of /etc/subuid or /etc/subgid: host ids [start, start+count).
struct SubordinateRange {
    uint64_t start = 0;
    uint64_t count = 0;
};

// The subordinate ranges of `user` (whose uid is `uid`) in the
// "owner:start:count" text of /etc/subuid or /etc/subgid. An owner matches by
// name or by uid, in both files, as shadow's own tools read them. Malformed lines
// are skipped, as they are by shadow.
std::vector<SubordinateRange> parseSubordinateFile(const std::string& text, const std::string& user,
                                                   uint32_t uid);

// The user's subordinate uid (or gid) ranges from the system's subid
// database. Where /etc/nsswitch.conf names no `subid:` service the database
// is /etc/subuid and /etc/subgid, and berth reads them itself: libsubid, with
// PAM, SELinux and audit behind it, would add a dozen shared libraries to
// every `berth run`. Where a service is named, libsubid is loaded then and
// asked, so LDAP or SSSD ranges work as they do for newuidmap.
std::vector<SubordinateRange> subordinateRangesOf(bool uids, const std::string& user, uint32_t uid);

// The service on nsswitch.conf's `subid:` line, or "" when there is none
// (then shadow, and subordinateRangesOf, read the files); `berth info`
// names it.
std::string subidService();

} // namespace berth
