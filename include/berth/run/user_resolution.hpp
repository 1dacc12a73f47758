#pragma once

#include <berth/base/result.hpp>
#include <berth/stage/id_map.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
};

struct GroupEntry {
    std::string name;
    uint32_t gid = 0;
    std::vector<std::string> members;
};

// Parses the image's /etc/passwd and /etc/group (malformed lines are skipped,
// as libc does).
std::vector<PasswdEntry> parsePasswd(const std::string& text);
std::vector<GroupEntry> parseGroup(const std::string& text);

// The process identity an app runs with.
struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> supplementaryGids;
    std::string home = "/"; // never empty
};

// Resolves -u NAME|UID[:GROUP|GID] against the image's files (Podman's
// rules): a name must exist; a number need not (it then gets gid 0 and HOME
// "/"); supplementary groups are those listing the user's name.
Result<ResolvedUser> resolveUser(const std::string& spec, const std::string& passwdText,
                                 const std::string& groupText);

// Refuses ids an app cannot truly run as, naming the id: 4294967295, which
// setresuid and setresgid read as "leave unchanged" (the app would stay
// container root), and any id outside `map`, the id map the pod's user
// namespace gets. Supplementary gids are checked where the pod sets them
// (not under a single-id map, where setgroups is denied and they are
// dropped).
Result<void> checkAppIds(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& groups,
                         const IdMap& map);

} // namespace berth
