#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// A path inside a tree, as components with no "", "." or "..": the only form
// in which a name from a layer is ever used.
struct TreePath {
    std::vector<std::string> components;

    bool isRoot() const { return components.empty(); }
    const std::string& name() const { return components.back(); }
    TreePath parent() const;
    TreePath child(std::string name) const;
    // "a/b/c", or "." for the root.
    std::string str() const;
};

// Parses a tar member name. Leading "./" and repeated or trailing slashes
// are normalised away (every tar tool writes them). Refused: empty names,
// absolute names ("/etc/passwd": a layer made by a real tool never has one,
// and silently re-rooting it hides an attack), any ".." component (even one
// that would stay inside: "a/../b" is never written by a real tool either),
// and names longer than maxLength.
Result<TreePath> parseTreePath(std::string_view name, size_t maxLength);

// Opens the directory at `path` below rootFd as an O_PATH fd, resolving with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): symlinks are followed
// only while they stay below the root. A symlink that is absolute or climbs
// out with ".." is refused (EXDEV from the kernel), even when the same link
// would be harmless inside a container: following it during extraction
// would write where no one looks, so no layer legitimately needs it.
// Kernels without openat2 get an O_NOFOLLOW walk that refuses every
// symlink on the way.
//
// With `create`, missing directories on the way are made (mode 0755), as
// tar does for members whose parents are not in the archive.
Result<UniqueFd> openTreeDirectory(int rootFd, const TreePath& path, bool create);

} // namespace berth
