#pragma once

#include <berth/base/child_process.hpp>
#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/stage/id_map_writer.hpp>
#include <functional>
#include <optional>

namespace berth
{

// A user namespace made, and its id maps written, before the process that
// will live in it exists. `berth run` starts one first thing, so that
// newuidmap and newgidmap (two setuid execs, a few milliseconds of a warm
// run) work while berth resolves the image and plans the pod; the pod's init
// then joins it (spawnInEarlyUserNamespace). Until then nothing runs in the
// namespace: a holder process that only waits keeps it alive, and exits once
// an fd holds it. Each pod still gets its own namespace.
class EarlyUserNamespace
{
public:
    EarlyUserNamespace() = default;

    // Creates the namespace and starts writing `map` into it; does not wait.
    // Errors name the cause and the fix, as spawnInUserNamespace's do.
    static Result<EarlyUserNamespace> start(const IdMap& map);

    // Waits until the maps are written; then an fd of the namespace, owned
    // by this object.
    Result<int> ready();

    const IdMap& map() const { return map_; }

private:
    IdMap map_;
    ChildProcess holder_;
    UniqueFd release_; // closing it lets the holder exit
    std::optional<IdMapWriter> writer_;
    UniqueFd namespaceFd_;
};

// Like spawnInUserNamespace, but joins `early` (ready() is called) instead of
// making a namespace: `body` runs as container root in a child that has
// `extraCloneFlags`' namespaces, owned by that user namespace. With
// CLONE_NEWPID it is the new pid namespace's init. The child is ours (a
// middle process forks it with CLONE_PARENT and exits).
Result<ChildProcess> spawnInEarlyUserNamespace(EarlyUserNamespace& early,
                                               const std::function<int()>& body,
                                               unsigned long extraCloneFlags = 0);

} // namespace berth
