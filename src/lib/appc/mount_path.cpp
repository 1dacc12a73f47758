#include "mount_path.hpp"

#include <string_view>

namespace berth
{

Result<std::string> cleanMountPath(const std::string& path)
{
    if (path.empty() || path.front() != '/')
        return Error("mount path '" + path + "' must be absolute");
    std::string out;
    size_t i = 0;
    while (i < path.size()) {
        size_t next = path.find('/', i);
        if (next == std::string::npos) next = path.size();
        std::string_view part(path.data() + i, next - i);
        if (part == "..") return Error("mount path '" + path + "' must not contain '..'");
        if (!part.empty() && part != ".") {
            out += '/';
            out += part;
        }
        i = next + 1;
    }
    return out.empty() ? std::string("/") : out;
}

} // namespace berth
