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
//
// With a network namespace asked for, the holder also makes that, owned by
// the user namespace, and brings its loopback up: creating a network
// namespace is the dearest namespace the kernel makes (about half a
// millisecond), and here it too happens on the other core.
class EarlyUserNamespace
{
public:
    EarlyUserNamespace() = default;

    // Creates the namespace (and, with `withNetwork`, a network namespace
    // in it) and starts writing `map` into it; does not wait. Errors name
    // the cause and the fix, as spawnInUserNamespace's do.
    static Result<EarlyUserNamespace> start(const IdMap& map, bool withNetwork = false);

    // Waits until the maps are written; then an fd of the namespace, owned
    // by this object.
    Result<int> ready();

    // After ready(): an fd of the network namespace made with the user
    // namespace, or -1 when none was asked for.
    int networkFd() const { return networkFd_ ? networkFd_.get() : -1; }

    const IdMap& map() const { return map_; }

private:
    IdMap map_;
    ChildProcess holder_;
    UniqueFd release_; // closing it lets the holder exit
    // The holder's report that its network namespace is made: nothing, or
    // the errno of what failed (empty without `withNetwork`).
    UniqueFd networkReport_;
    std::optional<IdMapWriter> writer_;
    UniqueFd namespaceFd_;
    UniqueFd networkFd_;
};

// Like spawnInUserNamespace, but joins `early` (ready() is called) instead of
// making a namespace: `body` runs as container root in a child that has
// `extraCloneFlags`' namespaces, owned by that user namespace. With
// CLONE_NEWPID it is the new pid namespace's init. A network namespace that
// `early` made is joined instead of made anew. The child is ours (a
// middle process forks it with CLONE_PARENT and exits).
Result<ChildProcess> spawnInEarlyUserNamespace(EarlyUserNamespace& early,
                                               const std::function<int()>& body,
                                               unsigned long extraCloneFlags = 0);

} // namespace berth
