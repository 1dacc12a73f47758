#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/render/layer_extractor.hpp>
#include <berth/render/safe_path.hpp>
#include <ctime>
#include <string>
#include <sys/types.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace berth
{

// What a tar header says about an entry besides its name and type.
struct EntryMeta {
    uint32_t uid = 0;
    uint32_t gid = 0;
    mode_t mode = 0644; // permission and setuid/setgid/sticky bits
    bool hasMtime = false;
    timespec mtime{};
    std::vector<std::pair<std::string, std::string>> xattrs;
};

// Creates the entries of one layer in a tree, every one through a directory
// fd opened with openTreeDirectory, replacing what is in the way as OCI
// layers do (anything but a directory over a directory is removed first; the
// final component is never followed, so a symlink is replaced, not written
// through). Directory modes and times are applied in finish(), deepest first,
// so a 0555 directory still receives its files.
class TreeWriter
{
public:
    TreeWriter(int rootFd, const ExtractOptions& options);

    // Creates an empty regular file and returns a writable fd for its data;
    // call finishFile once it is written.
    Result<UniqueFd> createFile(const TreePath& path, const EntryMeta& meta);
    Result<void> finishFile(int fd, const EntryMeta& meta);
    Result<void> makeDirectory(const TreePath& path, const EntryMeta& meta);
    Result<void> makeSymlink(const TreePath& path, const std::string& target,
                             const EntryMeta& meta);
    Result<void> makeHardlink(const TreePath& path, const TreePath& target);
    // FIFOs and device nodes (skipped, counted, when we may not create them).
    Result<void> makeNode(const TreePath& path, mode_t type, dev_t device, const EntryMeta& meta);

    // `.wh.NAME`: hides `victim` from the layers below.
    Result<void> whiteout(const TreePath& victim);
    // `.wh..wh..opq`: hides everything the layers below have in `dir`.
    Result<void> opaque(const TreePath& dir);

    Result<void> finish();

    ExtractStats& stats() { return stats_; }

private:
    Result<int> parentOf(const TreePath& path);
    // Makes room for a new entry once creating it has failed with EEXIST
    // (create first: most entries land where nothing is, and a stat before
    // each would be a syscall per entry): removes what is there unless both are
    // directories. Returns true when a directory is kept.
    Result<bool> clearSlot(int parentFd, const TreePath& path, bool newIsDirectory);
    void touch(const TreePath& path);
    // Marks the cached parent stale without closing it (a caller may be
    // using it); the next parentOf() reopens.
    void forgetParents() { cachedParent_.clear(); }
    Result<void> chownEntry(int fd, const char* name, const EntryMeta& meta);
    Result<void> setXattrs(int fd, const EntryMeta& meta, const TreePath& path);
    Result<void> removeLower(int dirFd, const TreePath& dir, int depth);

    int rootFd_;
    ExtractOptions options_;
    ExtractStats stats_;
    std::string cachedParent_;
    UniqueFd cachedParentFd_;
    // Paths this layer created, and their ancestors: whiteouts only hide
    // what lower layers made (OCI image-spec, "Whiteouts").
    std::unordered_set<std::string> touched_;
    std::vector<std::pair<TreePath, EntryMeta>> directories_;
    std::unordered_map<std::string, size_t> directoryIndex_;
};

} // namespace berth
