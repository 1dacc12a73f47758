#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace berth
{

// Thin wrappers over syscalls that return Results with the path in context.
Result<UniqueFd> openPath(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> openAt(int dirFd, const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> openDirectory(const std::string& path);

// Reads a whole regular file (opened with openRegularFile: a FIFO or a
// device is refused, never waited on); refuses files larger than maxBytes.
Result<std::string> readFile(const std::string& path, size_t maxBytes = 64 << 20);
Result<std::string> readFileAt(int dirFd, const std::string& path, size_t maxBytes = 64 << 20);
Result<std::string> readAll(int fd, size_t maxBytes = 64 << 20);
Result<void> writeAll(int fd, std::string_view data);

// Writes `data` to dir/name through a temporary file, fsyncs, and renames it
// into place: readers see the old content or the new, never a part.
Result<void> writeFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);

// mkdir -p; existing directories are fine.
Result<void> makeDirectories(const std::string& path, mode_t mode = 0755);

bool pathExists(const std::string& path);

// Removes a tree below dirFd/name without following symlinks. Ownership must
// allow it (trees owned by subordinate ids are removed from inside the user
// namespace, see render/idmapped_process); each directory is made mode 0700
// before it is listed, so a mode-0 one (overlayfs's work/work) goes too.
// Any depth, with a few fds (walkTree, tree_walk.hpp).
Result<void> removeTreeAt(int dirFd, const std::string& name);
Result<void> removeTree(const std::string& path);

// A random lowercase hex string of `bytes` * 2 characters, from getrandom(2).
std::string randomHex(size_t bytes = 8);

} // namespace berth
