#pragma once

#include <berth/base/result.hpp>
#include <cstddef>
#include <functional>
#include <string>

namespace berth
{

// A depth-first walk of a directory tree that holds at most `maxOpen`
// directory fds however deep the tree is: a container may nest directories
// as deep as the kernel allows (thousands), far past RLIMIT_NOFILE, and a
// walk that keeps one fd per level fails there with EMFILE. Levels above the
// budget are closed and re-opened through ".." on the way back up; the
// re-opened directory must be the one left (same device and inode), so a
// directory moved meanwhile stops the walk instead of leading it elsewhere.
// Symlinks are never followed.
struct TreeWalk {
    enum class Step { Next, Descend };
    // Called for each entry of the directory open as dirFd ("." and ".."
    // excluded), with readdir's d_type (DT_UNKNOWN on some file systems).
    // Descend walks into it, which must then be a directory.
    std::function<Result<Step>(int dirFd, const std::string& name, unsigned char type)> entry;
    // Called once every entry of directory `name` (below parentFd) was walked.
    std::function<Result<void>(int parentFd, const std::string& name)> leave;
    // True when entry() removes what it sees (a removal): a directory
    // re-opened is then listed again from its start, as its remaining
    // entries are exactly the ones still to walk. Otherwise the listing
    // resumes where it stopped (telldir/seekdir).
    bool consumes = false;
    // A directory that cannot be opened is skipped instead of failing the
    // walk (a count of what the caller may see, not a removal).
    bool skipUnopenable = false;
    size_t maxOpen = 16;
};

// Walks the tree below the directory open as rootFd (which stays open and
// is not itself passed to entry() or leave()). `shown` names it in errors.
Result<void> walkTree(int rootFd, const TreeWalk& walk, const std::string& shown);

} // namespace berth
