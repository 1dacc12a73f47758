#pragma once

// The render stage's sandbox; no other area includes this.

#include <berth/stage/sandbox.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

// Render reads the verified blobs (opened by stage0 already; the rule keeps
// a re-open working) and writes only beneath `treeDir`, its new tree
// (trees/KEY.tmp-RANDOM or the rendered root), with no network.
SandboxPolicy renderPolicy(const Store& store, const std::string& treeDir);

} // namespace berth
