#include <berth/run/volumes.hpp>
#include <set>
#include <sys/mount.h>

namespace berth
{

namespace
{

std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t end = text.find(separator, start);
        out.push_back(text.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

} // namespace

Result<std::string> cleanContainerPath(const std::string& path)
{
    if (path.empty() || path[0] != '/')
        return Error("container path '" + path + "' must be absolute");
    std::string out;
    for (const auto& part : split(path, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") return Error("container path '" + path + "' must not contain '..'");
        out += "/" + part;
    }
    return out.empty() ? std::string("/") : out;
}

Result<MountOp> parseBindVolume(const std::string& spec)
{
    auto parts = split(spec, ':');
    if (parts.size() < 2 || parts.size() > 3)
        return Error("invalid volume '" + spec + "' (use -v SRC:DST[:ro])");
    MountOp op;
    op.kind = MountOp::Kind::Bind;
    op.source = parts[0];
    if (op.source.empty() || op.source[0] != '/')
        return Error("invalid volume '" + spec + "': the source must be an absolute host path");
    auto dst = cleanContainerPath(parts[1]);
    if (!dst) return std::move(dst).error().addContext("invalid volume '" + spec + "'");
    op.destination = *dst;
    if (parts.size() == 3)
        for (const auto& option : split(parts[2], ',')) {
            if (option == "ro")
                op.readOnly = true;
            else if (option == "rw")
                op.readOnly = false;
            else if (option == "z" || option == "Z")
                continue; // SELinux relabelling: nothing to do without SELinux
            else
                return Error("invalid volume '" + spec + "': unknown option '" + option +
                             "' (use ro or rw)");
        }
    return op;
}

Result<MountOp> parseTmpfsVolume(const std::string& spec)
{
    size_t colon = spec.find(':');
    MountOp op;
    op.kind = MountOp::Kind::Tmpfs;
    auto dst = cleanContainerPath(spec.substr(0, colon));
    if (!dst) return std::move(dst).error().addContext("invalid --tmpfs '" + spec + "'");
    op.destination = *dst;
    op.flags = MS_NOSUID | MS_NODEV;
    std::string data;
    if (colon != std::string::npos)
        for (const auto& option : split(spec.substr(colon + 1), ',')) {
            if (option.empty()) continue;
            if (option == "ro")
                op.readOnly = true;
            else if (option == "rw")
                op.readOnly = false;
            else if (option == "noexec")
                op.flags |= MS_NOEXEC;
            else if (option == "exec")
                op.flags &= ~static_cast<unsigned long>(MS_NOEXEC);
            else if (option == "nosuid" || option == "nodev")
                continue; // always on
            else if (option == "suid" || option == "dev")
                return Error("invalid --tmpfs '" + spec + "': '" + option +
                             "' is not allowed in a rootless container");
            else
                data += (data.empty() ? "" : ",") + option;
        }
    op.data = data.empty() ? "mode=1777" : data;
    return op;
}

Result<void> checkDuplicateDestinations(const std::vector<MountOp>& mounts)
{
    std::set<std::string> seen;
    for (const auto& op : mounts)
        if (!seen.insert(op.destination).second)
            return Error("duplicate mount destination '" + op.destination + "'");
    return ok();
}

} // namespace berth
