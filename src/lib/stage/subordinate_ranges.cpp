#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/stage/subordinate_ranges.hpp>
#include <charconv>
#include <dlfcn.h>
#include <string_view>

namespace berth
{

namespace
{

bool parseNumber(std::string_view text, uint64_t& out)
{
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

// libsubid's two calls, resolved at run time (see the header for why).
struct LibsubidRange {
    unsigned long start;
    unsigned long count;
};
using GetRanges = int (*)(const char*, LibsubidRange**);

std::vector<SubordinateRange> rangesFromLibsubid(bool uids, const std::string& user)
{
    void* library = ::dlopen("libsubid.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        logWarning("nsswitch.conf names a subid service but libsubid cannot be loaded ({}); "
                   "install libsubid4",
                   ::dlerror());
        return {};
    }
    auto get = reinterpret_cast<GetRanges>(
        ::dlsym(library, uids ? "subid_get_uid_ranges" : "subid_get_gid_ranges"));
    std::vector<SubordinateRange> out;
    LibsubidRange* ranges = nullptr;
    int n = get ? get(user.c_str(), &ranges) : -1;
    for (int i = 0; i < n; ++i)
        out.push_back({ranges[i].start, ranges[i].count});
    ::free(ranges);
    // Left loaded: the library may have registered NSS state.
    return out;
}

} // namespace

namespace
{

std::string readSubidService()
{
    auto text = readFile("/etc/nsswitch.conf", 1 << 20);
    if (!text) return {};
    std::string_view rest = *text;
    while (!rest.empty()) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string_view::npos || !line.substr(start).starts_with("subid:")) continue;
        std::string_view value = line.substr(start + 6);
        size_t first = value.find_first_not_of(" \t");
        if (first == std::string_view::npos) return {};
        value = value.substr(first);
        return std::string(value.substr(0, value.find_first_of(" \t#")));
    }
    return {};
}

} // namespace

std::string subidService()
{
    // Asked for uids, for gids, and by the front before either: read once.
    static const std::string service = readSubidService();
    return service;
}

std::vector<SubordinateRange> parseSubordinateFile(const std::string& text, const std::string& user,
                                                   uint32_t uid)
{
    std::vector<SubordinateRange> out;
    std::string_view rest = text;
    std::string number = std::to_string(uid);
    while (!rest.empty()) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        size_t first = line.find(':');
        if (first == std::string_view::npos) continue;
        size_t second = line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        std::string_view owner = line.substr(0, first);
        if (owner != user && owner != number) continue;
        SubordinateRange range;
        if (!parseNumber(line.substr(first + 1, second - first - 1), range.start) ||
            !parseNumber(line.substr(second + 1), range.count))
            continue;
        out.push_back(range);
    }
    return out;
}

std::vector<SubordinateRange> subordinateRangesOf(bool uids, const std::string& user, uint32_t uid)
{
    std::string service = subidService();
    if (!service.empty() && service != "files") return rangesFromLibsubid(uids, user);
    auto text = readFile(uids ? "/etc/subuid" : "/etc/subgid", 16 << 20);
    if (!text) return {};
    return parseSubordinateFile(*text, user, uid);
}

} // namespace berth
