#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <sys/types.h>

namespace berth
{

// A user's store and runtime directory hold what the user's containers run
// (rendered trees owned by the user's ids, pod state), so nobody else may
// read, change or swap them. These checks are ssh's for its files:
//
// checkPrivateDirectory: the directory open as `fd` (found at `path`) is
// owned by the caller and writable by nobody else. Readable by others it is
// made 0700 with one notice (stores made before berth kept them private);
// owned by someone else or writable by others it is refused, as its content
// may already be another user's.
//
// checkPathAbove: every directory on the way to `path` (and, when the way
// passes a symbolic link, on the way to where it leads) is owned by root or
// the caller and writable by nobody else, or sticky like /tmp; every
// symbolic link on it belongs to root or the caller. Otherwise someone else
// could swap `path` for a directory of their own between two of our uses.
//
// Both fail with one line naming the directory and the fix. They cost one
// fstat and one lstat per path component: they run at every store open,
// warm runs included.
Result<void> checkPrivateDirectory(int fd, const std::string& path);
Result<void> checkPathAbove(const std::string& path);

} // namespace berth
