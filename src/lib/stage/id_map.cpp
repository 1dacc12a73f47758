#include <berth/base/log.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/stage/subordinate_ranges.hpp>
#include <cstdlib>
#include <optional>
#include <pwd.h>
#include <unistd.h>

namespace berth
{

namespace
{

int64_t lookup(const std::vector<IdRange>& ranges, uint32_t inside)
{
    for (const auto& r : ranges)
        if (inside >= r.inside && inside - r.inside < r.count)
            return static_cast<int64_t>(r.outside) + (inside - r.inside);
    return -1;
}

uint32_t extent(const std::vector<IdRange>& ranges)
{
    uint32_t top = 0;
    for (const auto& r : ranges)
        top = std::max(top, r.inside + r.count);
    return top;
}

std::string currentUserName()
{
    const std::optional<std::string>& name = callerUserName();
    return name ? *name : std::to_string(::getuid());
}

// Subordinate ranges for the user, appended after container id `firstInside`.
std::vector<IdRange> subordinateRanges(bool uids, const std::string& user, uint32_t firstInside)
{
    std::vector<IdRange> out;
    uint32_t next = firstInside;
    for (const auto& range : subordinateRangesOf(uids, user, ::getuid())) {
        if (range.count == 0 || range.start > UINT32_MAX) continue;
        uint32_t count = static_cast<uint32_t>(std::min<uint64_t>(range.count, 1u << 30));
        out.push_back({next, static_cast<uint32_t>(range.start), count});
        next += count;
    }
    return out;
}

} // namespace

int64_t IdMap::hostUid(uint32_t inside) const
{
    return kind == Kind::Identity ? inside : lookup(uids, inside);
}

int64_t IdMap::hostGid(uint32_t inside) const
{
    return kind == Kind::Identity ? inside : lookup(gids, inside);
}

uint32_t IdMap::uidCount() const
{
    return kind == Kind::Identity ? UINT32_MAX : extent(uids);
}

uint32_t IdMap::gidCount() const
{
    return kind == Kind::Identity ? UINT32_MAX : extent(gids);
}

IdMap IdMap::forCurrentUser()
{
    IdMap map;
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (uid == 0) {
        map.kind = Kind::Identity;
        map.uids = {{0, 0, UINT32_MAX}};
        map.gids = {{0, 0, UINT32_MAX}};
        return map;
    }
    std::string user = currentUserName();
    auto subUids = subordinateRanges(true, user, 1);
    auto subGids = subordinateRanges(false, user, 1);
    map.uids = {{0, uid, 1}};
    map.gids = {{0, gid, 1}};
    if (subUids.empty() || subGids.empty()) {
        map.kind = Kind::Single;
        map.fallbackReason = "no subordinate " + std::string(subUids.empty() ? "uid" : "gid") +
                             " range for user '" + user + "' in /etc/sub" +
                             (subUids.empty() ? "uid" : "gid") +
                             "; files owned by other ids are squashed to the user (add one with "
                             "'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " +
                             user + "')";
        return map;
    }
    map.kind = Kind::Subordinate;
    map.uids.insert(map.uids.end(), subUids.begin(), subUids.end());
    map.gids.insert(map.gids.end(), subGids.begin(), subGids.end());
    return map;
}

IdMap IdMap::keepId()
{
    IdMap base = forCurrentUser();
    if (base.kind == Kind::Identity) return base;
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    IdMap map;
    map.kind = Kind::KeepId;
    map.fallbackReason = base.fallbackReason;
    // Container root and ids below the user's own come from the subordinate
    // ranges; the user's id maps to itself so files they own stay theirs.
    auto build = [](uint32_t own, const std::vector<IdRange>& sub) {
        std::vector<IdRange> out;
        std::vector<std::pair<uint32_t, uint32_t>> pool; // host start, count
        for (const auto& r : sub)
            if (r.inside != 0) pool.push_back({r.outside, r.count});
        uint32_t inside = 0;
        for (auto [host, count] : pool) {
            while (count > 0) {
                if (inside == own) {
                    ++inside;
                    continue;
                }
                uint32_t limit = inside < own ? own - inside : count;
                uint32_t take = std::min(count, limit);
                out.push_back({inside, host, take});
                inside += take;
                host += take;
                count -= take;
            }
        }
        out.push_back({own, own, 1});
        return out;
    };
    map.uids = build(uid, base.uids);
    map.gids = build(gid, base.gids);
    return map;
}

std::string IdMap::format(const std::vector<IdRange>& ranges)
{
    std::string out;
    for (const auto& r : ranges)
        out += std::to_string(r.inside) + " " + std::to_string(r.outside) + " " +
               std::to_string(r.count) + "\n";
    return out;
}

void warnSingleIdMapOnce(const IdMap& map)
{
    static bool warned = false;
    if (map.kind != IdMap::Kind::Single || warned) return;
    warned = true;
    logWarning("{}", map.fallbackReason.empty() ? "no subordinate id range: files owned by other "
                                                  "ids are squashed to you"
                                                : map.fallbackReason);
}

const std::optional<std::string>& callerUserName()
{
    // One look-up per process: each asks the user database afresh (with a
    // static glibc, a read of /etc/passwd), and the front and the id map
    // both need it on every run.
    static const std::optional<std::string> name = []() -> std::optional<std::string> {
        if (passwd* pw = ::getpwuid(::getuid())) return std::string(pw->pw_name);
        return std::nullopt;
    }();
    return name;
}

} // namespace berth
