#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/parallel_download.hpp>
#include <berth/stage/sandbox.hpp>
#include <berth/store/store.hpp>
#include <vector>

namespace berth
{

// runDownloads as the fetch stage (docs/architecture.md, "The four stages"). Stage0 starts a window
// of downloads (takes their fetch locks, sees what is already stored), then forks the fetch stage,
// which runs the transfers with runDownloads but writes the bytes only into a fresh staging
// directory under the store's tmp/, sandboxed by fetchPolicy. Back in stage0 each staged file is
// fed through its download's write() and finish(), which check the digests and publish: what the
// stage produced is never trusted, only its bytes are used. Then the next window: the fds held grow
// with the transfers in flight, not with the number of downloads.
Result<void> runDownloadsInStage(Store& store, HttpClient& http,
                                 const std::vector<Download*>& downloads,
                                 const DownloadHooks& hooks, Progress& progress, int parallel);

// The fetch stage may read TLS and registry configuration, credentials and
// the system's name-service files, and write only `stagingDir`; it may not
// read trusted keys or execute anything.
SandboxPolicy fetchPolicy(const std::string& stagingDir);

} // namespace berth
