#pragma once

#include <berth/base/child_process.hpp>
#include <berth/base/result.hpp>
#include <berth/stage/id_map.hpp>
#include <optional>
#include <sys/types.h>

namespace berth
{

// Writes a new user namespace's id maps, in two steps so that the caller can
// work while newuidmap and newgidmap (setuid execs of a millisecond or two
// each) run. A single-id map is written directly by start().
class IdMapWriter
{
public:
    // Writes (Single) or starts writing (Subordinate, KeepId) the maps of
    // the user namespace that process `pid` is in.
    static Result<IdMapWriter> start(const IdMap& map, pid_t pid);

    // Waits for the helpers; the error names the one that failed and why.
    Result<void> finish();

private:
    std::optional<ChildProcess> helpers_[2]; // newuidmap, newgidmap
};

} // namespace berth
