#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <berth/base/printable.hpp>
#include <berth/pod/pod.hpp>
#include <berth/stage/user_namespace.hpp>
#include <cerrno>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

constexpr PodState kStates[] = {PodState::Prepare, PodState::Prepared, PodState::Run,
                                PodState::Exited, PodState::Garbage};

Result<void> ensureStateDirs(Store& store)
{
    for (PodState s : kStates)
        BERTH_CHECK(makeDirectories(store.privatePath("pods/" + podStateName(s)), 0700));
    return ok();
}

// JSON holds only UTF-8: a name typed by the user or an image named by a
// path need not be. Refused here, before the pod's directory exists.
Result<std::string> infoJson(const PodInfo& info)
{
    if (!isValidUtf8(info.name)) return Error("pod name '" + info.name + "' is not valid UTF-8");
    for (const auto& image : info.images)
        if (!isValidUtf8(image)) return Error("image '" + image + "' is not valid UTF-8");
    for (const auto& app : info.apps)
        if (!isValidUtf8(app)) return Error("app name '" + app + "' is not valid UTF-8");
    Json j;
    j["uuid"] = info.uuid;
    j["name"] = info.name;
    j["images"] = info.images;
    j["apps"] = info.apps;
    if (!info.trees.empty()) j["trees"] = info.trees;
    j["createdAt"] = info.createdAt;
    try {
        return j.dump() + "\n";
    } catch (const Json::exception& e) {
        return Error(std::string("pod.json: ") + e.what());
    }
}

PodInfo readInfo(const std::string& dir, const std::string& uuid)
{
    PodInfo info;
    info.uuid = uuid;
    auto text = readFile(dir + "/pod.json", 1 << 20);
    if (!text) return info;
    auto j = parseJson(*text, "pod.json");
    if (!j || !j->is_object()) return info;
    try {
        info.name = j->value("name", "");
        info.images = j->value("images", std::vector<std::string>{});
        info.apps = j->value("apps", std::vector<std::string>{});
        info.trees = j->value("trees", std::vector<std::string>{});
        info.createdAt = j->value("createdAt", int64_t{0});
    } catch (const Json::exception&) {
    }
    return info;
}

// Removing as ourselves works for what the container made as its root (our
// own uid); anything made as another container id needs its user namespace.
Result<void> removeDirectory(const std::string& path, const IdMap& map)
{
    // overlayfs leaves work/work with mode 000: ours, but unreadable until
    // we give ourselves access back, which removeTree does for every
    // directory it enters.
    auto removed = removeTree(path);
    if (removed || !pathExists(path)) return ok();
    if (map.kind == IdMap::Kind::Identity || map.kind == IdMap::Kind::Single) return removed;
    auto status = runInUserNamespace(map, [&]() { return removeTree(path) ? 0 : 1; });
    if (!status) return std::move(status).error().addContext("remove '" + path + "'");
    if (*status != 0)
        return Error("could not remove '" + path + "' even inside the user namespace");
    return ok();
}

} // namespace

Result<void> writePodFile(const std::string& path, std::string_view data)
{
    BERTH_TRY(UniqueFd fd,
              openPath(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    return writeAll(fd.get(), data).context("write '" + path + "'");
}

std::string podStateName(PodState state)
{
    switch (state) {
    case PodState::Prepare:
        return "prepare";
    case PodState::Prepared:
        return "prepared";
    case PodState::Run:
        return "run";
    case PodState::Exited:
        return "exited";
    case PodState::Garbage:
        return "garbage";
    }
    return "unknown";
}

std::string newPodUuid()
{
    unsigned char b[16];
    if (::getrandom(b, sizeof b, 0) != sizeof b)
        for (auto& c : b)
            c = static_cast<unsigned char>(std::rand());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[b[i] >> 4];
        out += hex[b[i] & 15];
    }
    return out;
}

std::string Pod::dirIn(PodState state) const
{
    return store_->privatePath("pods/" + podStateName(state) + "/" + info_.uuid);
}

Result<Pod> Pod::create(Store& store, PodInfo info)
{
    BERTH_CHECK(ensureStateDirs(store));
    Pod pod;
    pod.store_ = &store;
    if (info.uuid.empty()) info.uuid = newPodUuid();
    if (info.createdAt == 0) info.createdAt = static_cast<int64_t>(::time(nullptr));
    pod.info_ = std::move(info);
    BERTH_TRY(std::string json, infoJson(pod.info_));
    std::string dir = pod.dirIn(PodState::Prepare);
    if (::mkdir(dir.c_str(), 0700) < 0)
        return Error::fromErrno("create pod directory '" + dir + "'");
    // A pod that could not be set up leaves nothing in prepare/.
    auto created = [&]() -> Result<void> {
        BERTH_TRY(pod.lock_, openPath(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        // The lock lives on the directory itself, so it follows every rename.
        if (::flock(pod.lock_.get(), LOCK_EX | LOCK_NB) < 0)
            return Error::fromErrno("lock pod directory '" + dir + "'");
        return writePodFile(dir + "/pod.json", json);
    }();
    if (!created) {
        (void)removeTree(dir);
        return std::move(created).error();
    }
    return pod;
}

Result<void> Pod::moveTo(PodState state)
{
    std::string from = dir();
    std::string to = dirIn(state);
    if (::rename(from.c_str(), to.c_str()) < 0)
        return Error::fromErrno("move pod '" + from + "' to '" + to + "'");
    state_ = state;
    return ok();
}

Result<void> Pod::writeExitStatus(int status)
{
    return writePodFile(dir() + "/exit-status", std::to_string(status) + "\n");
}

Result<void> Pod::destroy(const IdMap& map)
{
    BERTH_CHECK(moveTo(PodState::Garbage));
    BERTH_CHECK(removeDirectory(dir(), map));
    lock_.reset();
    return ok();
}

Result<std::vector<PodEntry>> listPods(Store& store)
{
    BERTH_CHECK(ensureStateDirs(store));
    std::vector<PodEntry> out;
    for (PodState state : kStates) {
        std::string base = store.privatePath("pods/" + podStateName(state));
        DIR* d = ::opendir(base.c_str());
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            PodEntry entry;
            entry.dir = base + "/" + name;
            entry.state = state;
            entry.info = readInfo(entry.dir, name);
            if (auto status = readFile(entry.dir + "/exit-status", 64); status)
                entry.exitStatus = std::atoi(status->c_str());
            if (state == PodState::Run || state == PodState::Prepare) {
                int fd = ::open(entry.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
                        entry.abandoned = true;
                        entry.state = PodState::Exited;
                    }
                    ::close(fd);
                }
            }
            out.push_back(std::move(entry));
        }
        ::closedir(d);
    }
    std::sort(out.begin(), out.end(), [](const PodEntry& a, const PodEntry& b) {
        return a.info.createdAt < b.info.createdAt;
    });
    return out;
}

Result<PodEntry> findPod(Store& store, const std::string& uuidPrefix)
{
    BERTH_TRY(auto pods, listPods(store));
    std::vector<PodEntry> matches;
    for (auto& p : pods)
        if (!uuidPrefix.empty() &&
            (p.info.uuid.starts_with(uuidPrefix) || p.info.name == uuidPrefix))
            matches.push_back(p);
    if (matches.empty()) return Error("no pod '" + uuidPrefix + "'");
    if (matches.size() > 1)
        return Error("pod '" + uuidPrefix + "' is ambiguous (" + std::to_string(matches.size()) +
                     " pods match); give more of the UUID");
    return matches[0];
}

Result<void> removePod(Store& store, const PodEntry& pod, const IdMap& map)
{
    if (pod.state == PodState::Run || (pod.state == PodState::Prepare && !pod.abandoned))
        return Error("pod " + pod.info.uuid + " is running; stop it first");
    int fd = ::open(pod.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error::fromErrno("open pod '" + pod.dir + "'");
    UniqueFd lock(fd);
    // Whoever holds the lock owns the pod; racing a second `berth rm` or gc
    // for it is harmless.
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0)
        return Error("pod " + pod.info.uuid + " is running; stop it first");
    std::string garbage = store.privatePath("pods/garbage/" + pod.info.uuid);
    if (pod.dir != garbage && ::rename(pod.dir.c_str(), garbage.c_str()) < 0)
        return Error::fromErrno("move pod '" + pod.dir + "' to garbage");
    return removeDirectory(garbage, map);
}

Result<std::vector<std::string>> treesInUse(Store& store)
{
    BERTH_TRY(auto pods, listPods(store));
    std::vector<std::string> out;
    for (const auto& pod : pods)
        if (pod.state == PodState::Prepare || pod.state == PodState::Prepared ||
            pod.state == PodState::Run)
            out.insert(out.end(), pod.info.trees.begin(), pod.info.trees.end());
    return out;
}

Result<size_t> collectPods(Store& store, const IdMap& map)
{
    BERTH_TRY(auto pods, listPods(store));
    size_t removed = 0;
    for (const auto& pod : pods) {
        if (pod.state != PodState::Exited && pod.state != PodState::Garbage) continue;
        if (auto r = removePod(store, pod, map); !r) {
            logWarning("{}", r.error().message());
            continue;
        }
        ++removed;
    }
    return removed;
}

} // namespace berth
