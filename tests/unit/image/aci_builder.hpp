#pragma once

// Builds ACI files for tests with libarchive: a tar in memory (so a test can
// hash it independently), then written plain or compressed.

#include <archive.h>
#include <archive_entry.h>
#include <cstdio>
#include <doctest/doctest.h>
#include <string>
#include <vector>

namespace acitest
{

struct Entry {
    Entry(std::string path_, std::string data_ = {}, unsigned type_ = AE_IFREG,
          std::string linkTarget_ = {}, std::string hardlink_ = {}, unsigned mode_ = 0644,
          int64_t uid_ = 0, int64_t gid_ = 0)
        : path(std::move(path_)), data(std::move(data_)), type(type_),
          linkTarget(std::move(linkTarget_)), hardlink(std::move(hardlink_)), mode(mode_),
          uid(uid_), gid(gid_)
    {
    }
    std::string path;
    std::string data;
    unsigned type;          // AE_IFREG, AE_IFDIR, AE_IFLNK
    std::string linkTarget; // symlink target
    std::string hardlink;   // hardlink target (type ignored)
    unsigned mode;
    int64_t uid;
    int64_t gid;
};

inline la_ssize_t appendToString(archive*, void* clientData, const void* buffer, size_t length)
{
    static_cast<std::string*>(clientData)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}

// The uncompressed tar of `entries`, in order.
inline std::string makeTar(const std::vector<Entry>& entries)
{
    std::string out;
    archive* a = archive_write_new();
    REQUIRE(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
    REQUIRE(archive_write_open(a, &out, nullptr, appendToString, nullptr) == ARCHIVE_OK);
    for (const auto& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.path.c_str());
        archive_entry_set_uid(entry, e.uid);
        archive_entry_set_gid(entry, e.gid);
        archive_entry_set_mtime(entry, 1000000000, 0);
        if (!e.hardlink.empty()) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, e.mode);
            archive_entry_set_hardlink(entry, e.hardlink.c_str());
            archive_entry_set_size(entry, 0);
        } else {
            archive_entry_set_filetype(entry, e.type);
            archive_entry_set_perm(entry, e.type == AE_IFDIR ? 0755 : e.mode);
            if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.linkTarget.c_str());
            archive_entry_set_size(entry, e.type == AE_IFREG ? e.data.size() : 0);
        }
        REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
        if (e.type == AE_IFREG && e.hardlink.empty() && !e.data.empty())
            REQUIRE(archive_write_data(a, e.data.data(), e.data.size()) ==
                    static_cast<la_ssize_t>(e.data.size()));
        archive_entry_free(entry);
    }
    REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    return out;
}

enum class Packing { Plain, Gzip, Bzip2, Xz };

inline const char* packingName(Packing p)
{
    switch (p) {
    case Packing::Plain:
        return "plain";
    case Packing::Gzip:
        return "gzip";
    case Packing::Bzip2:
        return "bzip2";
    case Packing::Xz:
        return "xz";
    }
    return "?";
}

// Writes `tar` to `path`, compressed as asked (libarchive's raw format
// writes the bytes as they are through the filter).
inline void writePacked(const std::string& path, const std::string& tar, Packing packing)
{
    if (packing == Packing::Plain) {
        FILE* f = std::fopen(path.c_str(), "wb");
        REQUIRE(f);
        REQUIRE(std::fwrite(tar.data(), 1, tar.size(), f) == tar.size());
        std::fclose(f);
        return;
    }
    archive* a = archive_write_new();
    REQUIRE(archive_write_set_format_raw(a) == ARCHIVE_OK);
    switch (packing) {
    case Packing::Gzip:
        REQUIRE(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
        break;
    case Packing::Bzip2:
        REQUIRE(archive_write_add_filter_bzip2(a) == ARCHIVE_OK);
        break;
    case Packing::Xz:
        REQUIRE(archive_write_add_filter_xz(a) == ARCHIVE_OK);
        break;
    case Packing::Plain:
        break;
    }
    REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, "data");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(tar.size()));
    REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
    REQUIRE(archive_write_data(a, tar.data(), tar.size()) == static_cast<la_ssize_t>(tar.size()));
    archive_entry_free(entry);
    REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
}

inline std::string manifestJson(const std::string& name, const std::string& extra = {})
{
    return R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":")" + name + "\"" + extra + "}";
}

// A small valid ACI: manifest, rootfs/, a binary and a symlink.
inline std::vector<Entry> simpleAci(const std::string& manifest)
{
    return {
        {"manifest", manifest},
        {"rootfs", "", AE_IFDIR},
        {"rootfs/bin", "", AE_IFDIR},
        {"rootfs/bin/hello", "#!/bin/sh\necho hello\n", AE_IFREG, "", "", 0755},
        {"rootfs/bin/hi", "", AE_IFLNK, "hello"},
        {"rootfs/etc", "", AE_IFDIR},
        {"rootfs/etc/owned-by-33", "www", AE_IFREG, "", "", 0600, 33, 33},
    };
}

} // namespace acitest
