#include "archive_path.hpp"

namespace berth
{

Result<std::string> cleanArchivePath(std::string_view raw)
{
    if (!raw.empty() && raw.front() == '/')
        return Error("entry '" + std::string(raw) + "': absolute path");
    std::string out;
    size_t start = 0;
    while (start <= raw.size()) {
        size_t slash = raw.find('/', start);
        std::string_view part = raw.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part == "..")
            return Error("entry '" + std::string(raw) + "': path has a '..' component");
        if (!part.empty() && part != ".") {
            if (!out.empty()) out += '/';
            out += part;
        }
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

} // namespace berth
