#pragma once

#include <berth/base/child_process.hpp>
#include <berth/base/result.hpp>
#include <berth/stage/id_map.hpp>
#include <functional>

namespace berth
{

// Starts `body` in a child that lives in a new user namespace with `map`
// applied, as container root (uid 0, gid 0) there. Subordinate maps are
// written by newuidmap/newgidmap (setuid helpers; we have no privilege of our
// own); a single-id map is written directly. `extraCloneFlags` adds more
// namespaces (CLONE_NEWNS, CLONE_NEWPID, …) created owned by the new user
// namespace. With an Identity map (real root) no user namespace is made.
//
// The caller must be single-threaded (a user namespace cannot be entered
// by a multi-threaded process, and we fork).
Result<ChildProcess> spawnInUserNamespace(const IdMap& map, const std::function<int()>& body,
                                          unsigned long extraCloneFlags = 0);

// Runs body as above and waits; returns its exit status.
Result<int> runInUserNamespace(const IdMap& map, const std::function<int()>& body,
                               unsigned long extraCloneFlags = 0);

// A failure to create a user namespace (clone's error), explained by
// checkUserNamespaceSupport when it finds the cause.
Error explainUserNamespaceFailure(Error error, const IdMap& map);

// Checks that rootless user namespaces can work here; the error names the
// cause and the fix (max_user_namespaces 0, newuidmap missing or not setuid,
// an AppArmor restriction, …).
Result<void> checkUserNamespaceSupport(const IdMap& map);

} // namespace berth
