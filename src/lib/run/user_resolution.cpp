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

} // namespace berth
