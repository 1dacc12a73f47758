#pragma once

#include <berth/base/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth
{

// One line of /proc/PID/uid_map: container ids [inside, inside+count) are
// host ids [outside, outside+count).
struct IdRange {
    uint32_t inside = 0;
    uint32_t outside = 0;
    uint32_t count = 0;
};

// How container ids map to host ids for the invoking user.
struct IdMap {
    enum class Kind {
        Identity,    // real root: no mapping needed
        Subordinate, // user → 0, subordinate ranges → 1..N (newuidmap/newgidmap)
        Single,      // user → 0 only; every other id is squashed
        KeepId,      // user → their own id, subordinate ranges around it
    };
    Kind kind = Kind::Single;
    std::vector<IdRange> uids;
    std::vector<IdRange> gids;
    // Why a Single map was chosen (no /etc/subuid line, …), for the warning.
    std::string fallbackReason;

    // Host uid for container uid `inside`, or -1 when unmapped.
    int64_t hostUid(uint32_t inside) const;
    int64_t hostGid(uint32_t inside) const;
    // The highest container id + 1 that is mapped.
    uint32_t uidCount() const;
    uint32_t gidCount() const;

    // The map for the current user: Identity for root, Subordinate from
    // libsubid when the user has ranges, else Single with fallbackReason set.
    static IdMap forCurrentUser();
    // --userns=keep-id: the user keeps their own uid/gid inside.
    static IdMap keepId();

    // "0 1000 1\n1 100000 65536\n"
    static std::string format(const std::vector<IdRange>& ranges);
};

// The name /etc/passwd (or the user database) gives the calling uid, looked
// up once per process; none when it names no such user.
const std::optional<std::string>& callerUserName();

// For a Single map: warns, once per process, why only the user's own ids
// exist (fallbackReason, which says what follows from it). The first run of
// an image renders it and then runs it: one warning, not one from each.
void warnSingleIdMapOnce(const IdMap& map);

} // namespace berth
