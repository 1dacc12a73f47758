#include <algorithm>
#include <berth/run/user_resolution.hpp>
#include <charconv>

namespace berth
{

namespace
{

std::vector<std::string> splitFields(const std::string& line, char separator)
{
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
        size_t end = line.find(separator, start);
        fields.push_back(line.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) return fields;
        start = end + 1;
    }
}

std::optional<uint32_t> parseId(const std::string& text)
{
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

template <typename F> void forEachLine(const std::string& text, F&& f)
{
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end == std::string::npos ? end : end - start);
        start = end == std::string::npos ? text.size() : end + 1;
        if (!line.empty() && line[0] != '#') f(line);
    }
}

} // namespace

std::vector<PasswdEntry> parsePasswd(const std::string& text)
{
    std::vector<PasswdEntry> out;
    forEachLine(text, [&](const std::string& line) {
        auto f = splitFields(line, ':');
        if (f.size() < 6) return;
        auto uid = parseId(f[2]);
        auto gid = parseId(f[3]);
        if (f[0].empty() || !uid || !gid) return;
        out.push_back({f[0], *uid, *gid, f[5]});
    });
    return out;
}

std::vector<GroupEntry> parseGroup(const std::string& text)
{
    std::vector<GroupEntry> out;
    forEachLine(text, [&](const std::string& line) {
        auto f = splitFields(line, ':');
        if (f.size() < 3) return;
        auto gid = parseId(f[2]);
        if (f[0].empty() || !gid) return;
        GroupEntry entry{f[0], *gid, {}};
        if (f.size() >= 4 && !f[3].empty()) entry.members = splitFields(f[3], ',');
        out.push_back(std::move(entry));
    });
    return out;
}

Result<ResolvedUser> resolveUser(const std::string& spec, const std::string& passwdText,
                                 const std::string& groupText)
{
    std::string userPart = spec;
    std::optional<std::string> groupPart;
    if (size_t colon = spec.find(':'); colon != std::string::npos) {
        userPart = spec.substr(0, colon);
        groupPart = spec.substr(colon + 1);
    }
    auto users = parsePasswd(passwdText);
    auto groups = parseGroup(groupText);

    ResolvedUser out;
    const PasswdEntry* entry = nullptr;
    if (auto uid = parseId(userPart); uid || userPart.empty()) {
        // A number the image names still gets that name's gid, home and
        // groups (runc and Podman agree); an unnamed one gets gid 0, HOME /.
        out.uid = uid.value_or(0);
        auto it = std::find_if(users.begin(), users.end(),
                               [&](const PasswdEntry& e) { return e.uid == out.uid; });
        entry = it == users.end() ? nullptr : &*it;
    } else {
        auto it = std::find_if(users.begin(), users.end(),
                               [&](const PasswdEntry& e) { return e.name == userPart; });
        if (it == users.end())
            return Error("user '" + userPart + "' not found in the image's /etc/passwd");
        entry = &*it;
        out.uid = entry->uid;
    }
    if (entry) {
        out.gid = entry->gid;
        if (!entry->home.empty()) out.home = entry->home;
    }

    if (groupPart) {
        if (groupPart->empty())
            return Error("invalid user '" + spec + "': the group after ':' is empty");
        if (auto gid = parseId(*groupPart)) {
            out.gid = *gid;
        } else {
            auto it = std::find_if(groups.begin(), groups.end(),
                                   [&](const GroupEntry& g) { return g.name == *groupPart; });
            if (it == groups.end())
                return Error("group '" + *groupPart + "' not found in the image's /etc/group");
            out.gid = it->gid;
        }
    }

    if (entry) {
        for (const auto& g : groups)
            if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end() &&
                std::find(out.supplementaryGids.begin(), out.supplementaryGids.end(), g.gid) ==
                    out.supplementaryGids.end())
                out.supplementaryGids.push_back(g.gid);
    }
    return out;
}

namespace
{

// "0-65536" or "0" for the container ids `ranges` map, adjacent ones joined.
std::string describeInside(std::vector<IdRange> ranges)
{
    std::sort(ranges.begin(), ranges.end(),
              [](const IdRange& a, const IdRange& b) { return a.inside < b.inside; });
    std::string text;
    for (size_t i = 0; i < ranges.size();) {
        if (ranges[i].count == 0) {
            ++i;
            continue;
        }
        uint64_t first = ranges[i].inside;
        uint64_t end = first + ranges[i].count;
        for (++i; i < ranges.size() && ranges[i].inside == end; ++i)
            end += ranges[i].count;
        if (!text.empty()) text += ", ";
        text += std::to_string(first);
        if (end - first > 1) text += "-" + std::to_string(end - 1);
    }
    return text.empty() ? "none" : text;
}

Result<void> checkId(const char* kind, uint32_t id, const IdMap& map)
{
    bool isUid = kind[0] == 'u';
    if (id == UINT32_MAX)
        return Error(std::string(kind) + " 4294967295 is not a valid id (the kernel reads it as " +
                     "\"no change\", which would leave the app root): choose another " +
                     (isUid ? "user" : "group"));
    int64_t host = isUid ? map.hostUid(id) : map.hostGid(id);
    if (host >= 0) return ok();
    std::string text = std::string(kind) + " " + std::to_string(id) +
                       " is not mapped in the pod's user namespace, which has " + kind + "s " +
                       describeInside(isUid ? map.uids : map.gids);
    if (map.kind == IdMap::Kind::Single)
        text += " only, as no subordinate ids are in use (see 'berth info')";
    else
        text += " (ask for more in " + std::string(isUid ? "/etc/subuid" : "/etc/subgid") +
                ", or choose another " + (isUid ? "user" : "group") + ")";
    return Error(text);
}

} // namespace

Result<void> checkAppIds(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& groups,
                         const IdMap& map)
{
    BERTH_CHECK(checkId("uid", uid, map));
    BERTH_CHECK(checkId("gid", gid, map));
    if (map.kind == IdMap::Kind::Single) return ok();
    for (uint32_t g : groups)
        BERTH_CHECK(checkId("gid", g, map).context("supplementary group"));
    return ok();
}

} // namespace berth
