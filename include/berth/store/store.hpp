#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/store/blob_writer.hpp>
#include <berth/store/digest.hpp>
#include <berth/store/file_lock.hpp>
#include <berth/store/image_index.hpp>

#include <memory>
#include <string>

namespace berth {

// Where things live when no --root is given (DESIGN §3).
std::string defaultStoreRoot();
// $XDG_RUNTIME_DIR/berth, else /tmp/berth-$UID (created 0700, owner checked).
Result<std::string> runtimeDirectory();

// The on-disk store:
//   ROOT/blobs/sha256/HEX, ROOT/blobs/sha512/HEX   content-addressed blobs
//   ROOT/tmp/                                      staging, same filesystem
//   ROOT/trees/KEY/                                unpacked layer trees
//   ROOT/pods/                                     pod directories (run)
//   ROOT/index.db                                  the image index (SQLite)
//   ROOT/lock                                      flock(2) for gc vs. users
class Store
{
public:
    static Result<std::unique_ptr<Store>> open(const std::string& root);

    const std::string& root() const { return root_; }
    int rootFd() const { return rootFd_.get(); }
    std::string path(const std::string& relative) const { return root_ + "/" + relative; }

    // Blobs.
    std::string blobPath(const Digest& digest) const;
    bool hasBlob(const Digest& digest) const;
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
    ImageIndex& index() { return *index_; }

    // Users of images hold the store lock shared; gc holds it exclusive.
    Result<FileLock> lock(FileLock::Mode mode);

private:
    Store() = default;
    std::string root_;
    UniqueFd rootFd_;
    std::unique_ptr<ImageIndex> index_;
};

} // namespace berth
