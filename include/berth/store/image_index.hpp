#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

// The crash-safe index of images and names: an SQLite database in WAL mode
// (index.db). Every change is one transaction, so `kill -9` at any point
// leaves either the old state or the new one.
class ImageIndex
{
public:
    // `shared`: the system store's index, which setup created with mode 0660
    // together with its -wal and -shm files. It is never created here. In
    // every store the WAL files persist on close (in the system store they
    // must: the directory is sticky, so a member could not remove a WAL file
    // another member created, and a missing one would be created with that
    // member's ownership). The schema is created once, with PRAGMA
    // user_version saying so; opening a current index only reads that.
    static Result<std::unique_ptr<ImageIndex>> open(const std::string& path, bool shared = false);
    ~ImageIndex();

    // Inserts or replaces an image; `record.name`:`record.tag`, when set,
    // is moved to point at it.
    Result<void> putImage(const ImageRecord& record);
    Result<std::optional<ImageRecord>> findById(const std::string& id);
    // Every readable record; a malformed one (any member of the system
    // store may write one) is reported in one warning line and skipped.
    Result<std::vector<ImageRecord>> list();
    // Removes the image and every name pointing at it.
    Result<void> removeImage(const std::string& id);

    // Removes one name:tag; the image stays (with its other names).
    Result<void> untag(const std::string& name, const std::string& tag);
    // Adds another name:tag for an image.
    Result<void> tag(const std::string& name, const std::string& tag, const std::string& id);
    // The image name:tag points at, carrying that name and tag (not the
    // record's own), when present.
    Result<std::optional<ImageRecord>> findByName(const std::string& name, const std::string& tag);
    // name:tag → id, when present.
    Result<std::optional<std::string>> lookupName(const std::string& name, const std::string& tag);
    // All names pointing at id, as "name:tag".
    Result<std::vector<std::string>> namesOf(const std::string& id);

    // Resolves what a user typed: "name[:tag]" (tag defaults to "latest" for
    // OCI; any version for ACI when omitted), an image ID, or a unique prefix
    // of one (at least 4 hex digits, "sha256:" optional). Found by a name, the
    // record carries the name it was found by (see findByName).
    Result<ImageRecord> resolve(const std::string& reference);

    // Every blob digest referenced by some image (for gc).
    Result<std::vector<std::string>> referencedBlobs();

    // Key/value remote cache (ETag, max-age), for fetch.
    Result<void> putCache(const std::string& key, const std::string& value);
    Result<std::optional<std::string>> getCache(const std::string& key);

private:
    ImageIndex() = default;
    struct Db;
    std::unique_ptr<Db> db_;
};

} // namespace berth
