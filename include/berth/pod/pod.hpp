#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/pod/pod_layout.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/store/store.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// rkt's pod states; a pod moves between STORE/pods/STATE/ directories by
// rename(2), so it is always in exactly one state.
enum class PodState { Prepare, Prepared, Run, Exited, Garbage };
std::string podStateName(PodState state);

// Writes a small file of a pod. No fsync: a pod's files describe a process
// that a crash ends anyway, and every millisecond of `run` counts.
Result<void> writePodFile(const std::string& path, std::string_view data);

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string newPodUuid();

// What `berth list` shows of a pod; kept in pod.json.
struct PodInfo {
    std::string uuid;
    std::string name;
    std::vector<std::string> images;
    std::vector<std::string> apps;
    // Keys of the STORE/trees entries the pod's apps use as lower dirs, so
    // that `berth image gc` keeps them while the pod lives.
    std::vector<std::string> trees;
    int64_t createdAt = 0;
};

// A pod this process owns. It holds the pod directory's flock for its whole
// life: a pod is running exactly while that lock is held, so a berth killed
// with SIGKILL leaves a pod that others see as exited.
class Pod
{
public:
    // Creates pods/prepare/UUID (with pod.json) and locks it.
    static Result<Pod> create(Store& store, PodInfo info);

    const std::string& uuid() const { return info_.uuid; }
    const PodInfo& info() const { return info_; }
    PodState state() const { return state_; }
    // The directory the pod has in `state` (its path after moveTo(state)).
    std::string dirIn(PodState state) const;
    std::string dir() const { return dirIn(state_); }
    PodLayout layout() const { return PodLayout{dir()}; }

    Result<void> moveTo(PodState state);
    Result<void> writeExitStatus(int status);
    // Moves to garbage and deletes the directory (in the user namespace when
    // files owned by subordinate ids are in it).
    Result<void> destroy(const IdMap& map);

private:
    Pod() = default;
    Store* store_ = nullptr;
    PodInfo info_;
    PodState state_ = PodState::Prepare;
    UniqueFd lock_;
};

struct PodEntry {
    PodInfo info;
    PodState state = PodState::Exited;
    std::string dir;
    std::optional<int> exitStatus;
    // The directory is under run/ but nobody holds its lock: berth died.
    bool abandoned = false;
};

// Every pod in the store (a pod under run/ whose lock is free is reported
// as exited).
Result<std::vector<PodEntry>> listPods(Store& store);
// Finds a pod by UUID or unique prefix.
Result<PodEntry> findPod(Store& store, const std::string& uuidPrefix);
// Removes a pod that is not running.
Result<void> removePod(Store& store, const PodEntry& pod, const IdMap& map);
// Tree keys used by pods that are preparing, prepared or running.
Result<std::vector<std::string>> treesInUse(Store& store);
// Removes every exited pod; returns how many.
Result<size_t> collectPods(Store& store, const IdMap& map);

} // namespace berth
