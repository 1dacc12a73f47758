#include "tree_writer.hpp"
#include "whiteout.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <berth/base/log.hpp>
#include <berth/render/layer_extractor.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace berth
{

namespace
{

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};

// libarchive pulls the tar stream through this callback; errors from the
// stream (corrupt gzip, size limit) are kept to be reported as they are.
struct ReadContext {
    LayerStream* stream = nullptr;
    std::optional<Error> error;
};

la_ssize_t readCallback(archive* a, void* client, const void** buffer)
{
    auto* context = static_cast<ReadContext*>(client);
    auto chunk = context->stream->next();
    if (!chunk) {
        context->error = chunk.error();
        archive_set_error(a, EIO, "%s", chunk.error().message().c_str());
        return -1;
    }
    *buffer = chunk->data();
    return static_cast<la_ssize_t>(chunk->size());
}

// Names in errors are shown, not trusted: cut long ones and hide control
// characters so that one line stays one line.
std::string shown(std::string_view name)
{
    std::string out;
    for (char c : name.substr(0, 160))
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    if (name.size() > 160) out += "…";
    return out;
}

EntryMeta metaOf(archive_entry* entry)
{
    EntryMeta meta;
    int64_t uid = archive_entry_uid(entry);
    int64_t gid = archive_entry_gid(entry);
    meta.uid = uid < 0 || uid > UINT32_MAX - 1 ? 0 : static_cast<uint32_t>(uid);
    meta.gid = gid < 0 || gid > UINT32_MAX - 1 ? 0 : static_cast<uint32_t>(gid);
    meta.mode = archive_entry_perm(entry) & 07777;
    if (archive_entry_mtime_is_set(entry)) {
        meta.hasMtime = true;
        meta.mtime.tv_sec = archive_entry_mtime(entry);
        meta.mtime.tv_nsec = archive_entry_mtime_nsec(entry);
    }
    if (archive_entry_xattr_reset(entry) > 0) {
        const char* name;
        const void* value;
        size_t size;
        while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK)
            meta.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
    }
    return meta;
}

constexpr size_t kPage = 4096;

bool isZero(const char* p, size_t n)
{
    return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

Result<void> writeAt(int fd, const char* p, size_t length, int64_t offset, const TreePath& path)
{
    while (length > 0) {
        ssize_t n = ::pwrite(fd, p, length, offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("write '" + path.str() + "'");
        }
        p += n;
        length -= static_cast<size_t>(n);
        offset += n;
    }
    return ok();
}

class Extractor
{
public:
    Extractor(int rootFd, const LayerSource& source, const ExtractOptions& options)
        : source_(source), options_(options), writer_(rootFd, options)
    {
        for (const auto& p : source.pathWhitelist) {
            auto path = parseTreePath(p.starts_with('/') ? p.substr(1) : p, SIZE_MAX);
            if (!path || path->isRoot()) continue;
            whitelist_.insert(path->str());
            TreePath up = path->parent();
            while (!up.isRoot()) {
                whitelistDirs_.insert(up.str());
                up = up.parent();
            }
        }
    }

    Result<ExtractStats> run(UniqueFd blobFd)
    {
        const ExtractLimits& limits = options_.limits;
        LayerStream::Expect expect = source_.expect;
        // Headers and padding: up to a few blocks per entry beyond the
        // file bytes the maxBytes limit counts.
        uint64_t overhead = limits.maxEntries * (3 * 512 + 2 * limits.maxPathLength);
        expect.maxBytes =
            limits.maxBytes > UINT64_MAX - overhead ? UINT64_MAX : limits.maxBytes + overhead;
        // A decompression bomb is stopped early: the stream may inflate to a
        // bounded multiple of the blob's size.
        struct stat blob;
        if (::fstat(blobFd.get(), &blob) == 0 && S_ISREG(blob.st_mode)) {
            uint64_t compressed = static_cast<uint64_t>(blob.st_size);
            uint64_t inflated = limits.inflateLimit(compressed);
            // Only where the ratio binds: the file-byte limit itself is
            // checked per entry, which names the entry.
            if (inflated < limits.maxBytes && inflated < expect.maxBytes) {
                expect.maxBytes = inflated;
                expect.maxBytesWhy = " (" + std::to_string(limits.maxInflateRatio) + " times its " +
                                     std::to_string(compressed) +
                                     " compressed bytes, or 64 MiB if more); refused as a "
                                     "decompression bomb: if "
                                     "the image is trusted, raise the limit with "
                                     "--max-inflate-ratio or BERTH_MAX_INFLATE_RATIO";
            }
        }
        BERTH_TRY(LayerStream stream, LayerStream::open(std::move(blobFd), expect));
        ReadContext context{&stream, std::nullopt};
        std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
        if (!a) return Error("libarchive: out of memory");
        archive_read_support_format_tar(a.get());
        if (archive_read_open(a.get(), &context, nullptr, readCallback, nullptr) != ARCHIVE_OK)
            return archiveError(a.get(), context, "open tar stream");

        for (;;) {
            archive_entry* entry = nullptr;
            int r = archive_read_next_header(a.get(), &entry);
            if (r == ARCHIVE_EOF) break;
            if (r == ARCHIVE_WARN)
                logDebug("{}: {}", source_.label, archive_error_string(a.get()));
            else if (r != ARCHIVE_OK)
                return archiveError(a.get(), context, "read tar header");
            const char* rawName = archive_entry_pathname(entry);
            std::string name = rawName ? rawName : "";
            auto applied = apply(a.get(), entry, name);
            if (!applied) {
                if (context.error) return *context.error;
                return std::move(applied).error().addContext("entry '" + shown(name) + "'");
            }
        }
        BERTH_CHECK(writer_.finish());
        BERTH_CHECK(stream.finish());
        return writer_.stats();
    }

private:
    Error archiveError(archive* a, ReadContext& context, const std::string& what)
    {
        if (context.error) return *context.error;
        const char* text = archive_error_string(a);
        return Error("malformed tar (" + what + "): " + (text ? text : "unknown error"));
    }

    // Member name → path in the tree, or nothing for members that are not
    // part of the root filesystem (the ACI manifest).
    Result<std::optional<TreePath>> treePathOf(const std::string& name)
    {
        BERTH_TRY(TreePath path, parseTreePath(name, options_.limits.maxPathLength));
        if (!source_.aci) return std::optional<TreePath>(std::move(path));
        if (path.isRoot() || path.components.front() != "rootfs")
            return std::optional<TreePath>(); // "manifest", or not rootfs
        path.components.erase(path.components.begin());
        return std::optional<TreePath>(std::move(path));
    }

    bool whitelisted(const TreePath& path, bool isDirectory) const
    {
        if (whitelist_.empty() || path.isRoot()) return true;
        std::string key = path.str();
        return whitelist_.count(key) || (isDirectory && whitelistDirs_.count(key));
    }

    Result<void> apply(archive* a, archive_entry* entry, const std::string& name)
    {
        ExtractStats& stats = writer_.stats();
        const ExtractLimits& limits = options_.limits;
        if (++stats.entries > limits.maxEntries)
            return Error("layer has more than the limit of " + std::to_string(limits.maxEntries) +
                         " entries (refused)");
        BERTH_TRY(auto maybePath, treePathOf(name));
        if (!maybePath) return ok();
        TreePath path = std::move(*maybePath);
        mode_t type = archive_entry_filetype(entry);
        const char* hardlink = archive_entry_hardlink(entry);

        if (type == AE_IFREG && !hardlink) {
            int64_t size = archive_entry_size(entry);
            if (size < 0 || static_cast<uint64_t>(size) >
                                limits.maxBytes - std::min(limits.maxBytes, stats.bytes))
                return Error("layer has more than the limit of " + std::to_string(limits.maxBytes) +
                             " bytes of files (refused)");
            stats.bytes += static_cast<uint64_t>(size);
        }

        BERTH_TRY(WhiteoutName whiteout, classifyWhiteout(path));
        switch (whiteout.kind) {
        case WhiteoutName::Kind::Hide:
            if (!source_.aci) return writer_.whiteout(whiteout.target);
            break;
        case WhiteoutName::Kind::Opaque:
            if (!source_.aci) return writer_.opaque(whiteout.target);
            break;
        case WhiteoutName::Kind::Ignore:
            return ok();
        case WhiteoutName::Kind::None:
            break;
        }

        if (!whitelisted(path, type == AE_IFDIR)) return ok();
        EntryMeta meta = metaOf(entry);

        if (hardlink) {
            BERTH_TRY(auto target,
                      treePathOf(hardlink).context("hardlink target '" + shown(hardlink) + "'"));
            if (!target)
                return Error("hardlink target '" + shown(hardlink) + "' is outside rootfs/");
            return writer_.makeHardlink(path, *target);
        }
        switch (type) {
        case AE_IFREG:
            return writeFile(a, entry, path, meta);
        case AE_IFDIR:
            return writer_.makeDirectory(path, meta);
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(entry);
            if (!target || !*target) return Error("symlink with an empty target");
            if (std::strlen(target) > limits.maxPathLength)
                return Error("symlink target is longer than the limit of " +
                             std::to_string(limits.maxPathLength) + " bytes (refused)");
            return writer_.makeSymlink(path, target, meta);
        }
        case AE_IFIFO:
            return writer_.makeNode(path, S_IFIFO, 0, meta);
        case AE_IFCHR:
        case AE_IFBLK:
            return writer_.makeNode(path, type == AE_IFCHR ? S_IFCHR : S_IFBLK,
                                    archive_entry_rdev(entry), meta);
        default:
            logDebug("{}: '{}' of type {:o} skipped", source_.label, shown(name), type);
            return ok();
        }
    }

    Result<void> writeFile(archive* a, archive_entry* entry, const TreePath& path,
                           const EntryMeta& meta)
    {
        BERTH_TRY(UniqueFd fd, writer_.createFile(path, meta));
        int64_t size = archive_entry_size(entry);
        int64_t end = 0;
        for (;;) {
            const void* block;
            size_t length;
            la_int64_t offset;
            int r = archive_read_data_block(a, &block, &length, &offset);
            if (r == ARCHIVE_EOF) break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                return Error(std::string("read file data: ") + archive_error_string(a));
            // Runs of zeros become holes: a layer of mostly zeros must not
            // cost their size on disk.
            const char* p = static_cast<const char*>(block);
            while (length > 0) {
                size_t run = std::min(length, kPage);
                if (isZero(p, run)) {
                    p += run;
                    length -= run;
                    offset += static_cast<la_int64_t>(run);
                    continue;
                }
                while (run < length && !isZero(p + run, std::min(length - run, kPage)))
                    run += std::min(length - run, kPage);
                BERTH_CHECK(writeAt(fd.get(), p, run, offset, path));
                p += run;
                length -= run;
                offset += static_cast<la_int64_t>(run);
                end = std::max<int64_t>(end, offset);
            }
        }
        // A file that ends in zeros (or a sparse file) ends in a hole that
        // nothing was written to.
        if (end < size && ::ftruncate(fd.get(), size) < 0)
            return Error::fromErrno("truncate '" + path.str() + "'");
        return writer_.finishFile(fd.get(), meta);
    }

    const LayerSource& source_;
    const ExtractOptions& options_;
    TreeWriter writer_;
    std::unordered_set<std::string> whitelist_;
    std::unordered_set<std::string> whitelistDirs_;
};

} // namespace

Result<ExtractStats> extractLayer(int rootFd, UniqueFd blobFd, const LayerSource& source,
                                  const ExtractOptions& options)
{
    // Modes come from the layer, not from our umask.
    mode_t oldMask = ::umask(0);
    Extractor extractor(rootFd, source, options);
    auto result = extractor.run(std::move(blobFd));
    ::umask(oldMask);
    return std::move(result).context(source.label);
}

} // namespace berth
