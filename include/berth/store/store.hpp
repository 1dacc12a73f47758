#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/store/blob_writer.hpp>
#include <berth/store/digest.hpp>
#include <berth/store/file_lock.hpp>
#include <berth/store/image_index.hpp>
#include <memory>
#include <string>

namespace berth
{

// Where things live when no --root is given (docs/architecture.md, "The store"): the system store
// for root, else the user's own store.
std::string defaultStoreRoot();
// The user's own store: $XDG_DATA_HOME/berth, else ~/.local/share/berth.
std::string userStoreRoot();
// $XDG_RUNTIME_DIR/berth, else /tmp/berth-$UID (created 0700, owner checked).
Result<std::string> runtimeDirectory();

// The on-disk store:
//   ROOT/blobs/sha256/HEX, ROOT/blobs/sha512/HEX   content-addressed blobs
//   ROOT/tmp/                                      staging, same filesystem
//   ROOT/trees/KEY/                                unpacked layer trees
//   ROOT/pods/                                     pod directories (run)
//   ROOT/index.db                                  the image index (SQLite)
//   ROOT/lock                                      flock(2) for gc vs. users
//
// A store has a shared part (blobs, tmp, the index, the lock: root(),
// path()) and a private part (trees and pods: privatePath()). In a user's
// own store both are ROOT. In the system store (system_store.hpp) the shared
// part is /var/lib/berth, used by every member of group `berth`, and holds
// the index in ROOT/index/index.db; trees (rendered with the user's own
// subordinate ids) and pods stay in the user's own directories, because
// nothing rendered or run by one user may be trusted by another.
class Store
{
public:
    // A user's own store in `root`, created if missing (mode 0700, as are
    // missing parents). A store, or a directory on the way to it, that
    // another user owns or may write is refused (checkPathAbove,
    // checkPrivateDirectory); one readable by others is made private.
    static Result<std::unique_ptr<Store>> open(const std::string& root);
    // The shared store in `sharedRoot` (made by `berth system setup`; root
    // creates or repairs it here too), with trees and pods in `privateRoot`.
    static Result<std::unique_ptr<Store>> openSystem(const std::string& sharedRoot,
                                                     const std::string& privateRoot);

    // The shared part.
    const std::string& root() const { return root_; }
    int rootFd() const { return rootFd_.get(); }
    std::string path(const std::string& relative) const { return root_ + "/" + relative; }
    // The private part: trees/ and pods/.
    const std::string& privateRoot() const { return privateRoot_; }
    std::string privatePath(const std::string& relative) const
    {
        return privateRoot_ + "/" + relative;
    }
    // True for the system store: other users write its blobs, so every blob
    // is re-hashed when opened.
    bool isSystem() const { return system_; }
    // In the system store, the private part's directory (for a member; -1
    // for root and in a user's own store). A blob whose shared name another
    // member holds with other bytes (the blob directories are sticky, so it
    // cannot be replaced) is kept here instead, as blobs/ALG/HEX, and found
    // here first.
    int privateFd() const { return privateFd_.get(); }

    // Blobs.
    std::string blobPath(const Digest& digest) const;
    // Is a blob of that name there (a stat, for cheap checks; its bytes
    // are checked when it is opened)?
    bool hasBlob(const Digest& digest) const;
    // Is a blob with those bytes there? In the system store the shared blob
    // is re-hashed (another member may have planted other bytes under the
    // name): false sends a fetch to download it, never to trust it.
    bool hasVerifiedBlob(const Digest& digest) const;
    // In the system store the blob is re-hashed first: a blob another user
    // changed is refused with one clear error. The private copy (privateFd)
    // comes first.
    Result<UniqueFd> openBlob(const Digest& digest) const;
    // Reads a small blob (manifest, config) whole and re-checks its digest.
    Result<std::string> readBlob(const Digest& digest, size_t maxBytes = 8 << 20) const;
    Result<BlobWriter> newBlob(DigestAlgorithm algorithm = DigestAlgorithm::Sha256);
    Result<Digest> putBlob(std::string_view data,
                           DigestAlgorithm algorithm = DigestAlgorithm::Sha256);
    Result<void> removeBlob(const Digest& digest);

    // A fresh private directory under tmp/; the caller removes or renames it.
    Result<std::string> makeTempDirectory(const std::string& prefix);

    // The index.
    ImageIndex& index() const { return *index_; }

    // Users of images hold the store lock shared; gc holds it exclusive.
    Result<FileLock> lock(FileLock::Mode mode);

private:
    Store() = default;
    Error corruptBlob(const Digest& digest, const Digest& actual) const;

    std::string root_;
    std::string privateRoot_;
    bool system_ = false;
    UniqueFd rootFd_;
    std::unique_ptr<ImageIndex> index_;
    UniqueFd privateFd_;
};

} // namespace berth
