#include <berth/base/file.hpp>
#include <berth/stage/id_map_writer.hpp>
#include <fcntl.h>
#include <string>
#include <vector>

namespace berth
{

namespace
{

constexpr const char* kHelpers[] = {"newuidmap", "newgidmap"};

std::vector<std::string> mapHelperArgv(const char* helper, pid_t pid,
                                       const std::vector<IdRange>& ranges)
{
    std::vector<std::string> argv{helper, std::to_string(pid)};
    for (const auto& r : ranges) {
        argv.push_back(std::to_string(r.inside));
        argv.push_back(std::to_string(r.outside));
        argv.push_back(std::to_string(r.count));
    }
    return argv;
}

// Where newuidmap (0) or newgidmap (1) is, found in PATH once per process:
// a process may make several user namespaces (render, then run).
const Result<std::string>& helperPath(int which)
{
    static const Result<std::string> paths[] = {findProgram(kHelpers[0]), findProgram(kHelpers[1])};
    return paths[which];
}

Result<void> writeProcFile(pid_t pid, const char* name, const std::string& content)
{
    std::string path = "/proc/" + std::to_string(pid) + "/" + name;
    BERTH_TRY(UniqueFd fd, openPath(path, O_WRONLY));
    return writeAll(fd.get(), content).context("write " + path);
}

} // namespace

Result<IdMapWriter> IdMapWriter::start(const IdMap& map, pid_t pid)
{
    IdMapWriter writer;
    if (map.kind == IdMap::Kind::Single) {
        // Without newgidmap an unprivileged process must give up setgroups
        // before it may write its own gid_map.
        BERTH_CHECK(writeProcFile(pid, "setgroups", "deny"));
        BERTH_CHECK(writeProcFile(pid, "uid_map", IdMap::format(map.uids)));
        BERTH_CHECK(writeProcFile(pid, "gid_map", IdMap::format(map.gids)));
        return writer;
    }
    // Both argvs first, then both helpers: neither waits for the other.
    // Each starts without copying our memory (posix_spawn) or trying every
    // PATH entry.
    std::vector<std::string> argv[] = {mapHelperArgv(kHelpers[0], pid, map.uids),
                                       mapHelperArgv(kHelpers[1], pid, map.gids)};
    for (int i = 0; i < 2; ++i) {
        const Result<std::string>& path = helperPath(i);
        auto child =
            path ? ChildProcess::spawn(*path, argv[i]) : Result<ChildProcess>(path.error());
        if (!child)
            return std::move(child).error().addContext(std::string("cannot run ") + kHelpers[i] +
                                                       " (install the 'uidmap' package)");
        writer.helpers_[i] = std::move(child).value();
    }
    return writer;
}

Result<void> IdMapWriter::finish()
{
    for (int i = 0; i < 2; ++i) {
        if (!helpers_[i]) continue;
        const char* helper = kHelpers[i];
        auto status = helpers_[i]->wait();
        helpers_[i].reset();
        if (!status) return std::move(status).error().addContext(std::string("wait for ") + helper);
        if (*status != 0)
            return Error(std::string(helper) + " failed with status " + std::to_string(*status) +
                         " (check that it is setuid root or has file capabilities, and that "
                         "/etc/sub" +
                         (i == 0 ? "uid" : "gid") + " grants these ranges)");
    }
    return ok();
}

} // namespace berth
