#include "archive_path.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <berth/base/file.hpp>
#include <berth/base/regular_file.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/image/aci_import.hpp>
#include <berth/image/image_name.hpp>
#include <berth/image/oci_decompressor.hpp>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>
#include <vector>

namespace berth
{

namespace
{

// appc manifests are a few KiB; a huge one is an attack on our memory.
constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr uint64_t kMaxEntries = 2'000'000;
constexpr uint64_t kMaxTarBytes = uint64_t{64} << 30;

struct ArchiveReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;

std::string archiveError(archive* a)
{
    const char* text = archive_error_string(a);
    return text ? text : "unknown libarchive error";
}

Result<AciCompression> detectFd(int fd, const std::string& path)
{
    unsigned char head[512] = {};
    ssize_t n;
    do {
        n = ::pread(fd, head, sizeof head, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Error::fromErrno("read '" + path + "'");
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return AciCompression::Gzip;
    if (n >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') return AciCompression::Bzip2;
    if (n >= 6 && head[0] == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X' &&
        head[4] == 'Z' && head[5] == 0)
        return AciCompression::Xz;
    // ustar, POSIX and GNU tar all carry "ustar" at offset 257.
    if (n >= 262 && std::string_view(reinterpret_cast<const char*>(head) + 257, 5) == "ustar")
        return AciCompression::None;
    return Error("'" + path +
                 "' is not an ACI: neither a tar archive nor gzip, bzip2 or xz "
                 "compressed");
}

// An ACI entry name, cleaned; an empty name is malformed.
Result<std::string> cleanEntryPath(std::string_view raw)
{
    if (raw.empty()) return Error("empty entry name");
    return cleanArchivePath(raw);
}

// Feeds the inner tar reader with the uncompressed stream, writing every
// byte to the blob on the way: one read of the file hashes, stages and
// parses the ACI. gzip and plain go through the image library's
// Decompressor (ISA-L igzip when built with it, several times faster than
// zlib); bzip2 and xz through libarchive's filters.
struct Tee {
    archive* outer = nullptr;           // bzip2, xz
    std::unique_ptr<Decompressor> push; // plain, gzip
    int fd = -1;                        // the file, for `push`
    bool inputDone = false;
    std::vector<char> input;
    std::string pending; // push output handed to the tar reader
    BlobWriter* writer = nullptr;
    std::optional<Error> error;
    uint64_t total = 0;
};

// The next uncompressed chunk, or an empty one at the end of the stream.
Result<std::string_view> nextChunk(Tee& tee)
{
    if (tee.push) {
        tee.pending.clear();
        auto sink = [&tee](std::string_view out) -> Result<void> {
            tee.pending.append(out);
            return ok();
        };
        while (tee.pending.empty() && !tee.inputDone) {
            ssize_t n = ::read(tee.fd, tee.input.data(), tee.input.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Error::fromErrno("read");
            if (n == 0) {
                tee.inputDone = true;
                BERTH_CHECK(tee.push->finish().context("decompress"));
                break;
            }
            BERTH_CHECK(
                tee.push->feed(std::string_view(tee.input.data(), static_cast<size_t>(n)), sink)
                    .context("decompress"));
        }
        return std::string_view(tee.pending);
    }
    while (true) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int r = archive_read_data_block(tee.outer, &block, &size, &offset);
        if (r == ARCHIVE_EOF) return std::string_view();
        if (r < ARCHIVE_WARN) return Error("decompress: " + archiveError(tee.outer));
        if (size == 0) continue;
        // The raw format yields one contiguous stream; a gap would mean bytes
        // we did not hash.
        if (offset != static_cast<la_int64_t>(tee.total))
            return Error("decompress: unexpected gap in the stream");
        return std::string_view(static_cast<const char*>(block), size);
    }
}

la_ssize_t teeRead(archive*, void* clientData, const void** buffer)
{
    auto* tee = static_cast<Tee*>(clientData);
    auto chunk = nextChunk(*tee);
    if (!chunk) {
        tee->error = std::move(chunk).error();
        return ARCHIVE_FATAL;
    }
    tee->total += chunk->size();
    if (tee->total > kMaxTarBytes) {
        tee->error = Error("uncompressed size exceeds the limit of " +
                           std::to_string(kMaxTarBytes >> 30) + " GiB");
        return ARCHIVE_FATAL;
    }
    if (tee->writer && !chunk->empty()) {
        if (auto written = tee->writer->write(chunk->data(), chunk->size()); !written) {
            tee->error = std::move(written).error();
            return ARCHIVE_FATAL;
        }
    }
    *buffer = chunk->data();
    return static_cast<la_ssize_t>(chunk->size());
}

struct ScanResult {
    std::optional<std::string> manifest;
    bool rootfs = false;
    uint64_t entries = 0;
    uint64_t tarBytes = 0;
};

Result<ArchiveReader> openDecompressor(int fd, AciCompression compression)
{
    ArchiveReader outer(archive_read_new());
    if (!outer) return Error("out of memory");
    int r = ARCHIVE_OK;
    switch (compression) {
    case AciCompression::None:
        break;
    case AciCompression::Gzip:
        r = archive_read_support_filter_gzip(outer.get());
        break;
    case AciCompression::Bzip2:
        r = archive_read_support_filter_bzip2(outer.get());
        break;
    case AciCompression::Xz:
        r = archive_read_support_filter_xz(outer.get());
        break;
    }
    // ARCHIVE_WARN means "through an external program", which still works.
    if (r < ARCHIVE_WARN) return Error("decompressor unavailable: " + archiveError(outer.get()));
    if (archive_read_support_format_raw(outer.get()) != ARCHIVE_OK ||
        archive_read_open_fd(outer.get(), fd, 128 * 1024) != ARCHIVE_OK)
        return Error("open: " + archiveError(outer.get()));
    archive_entry* entry = nullptr;
    if (archive_read_next_header(outer.get(), &entry) < ARCHIVE_WARN)
        return Error("decompress: " + archiveError(outer.get()));
    return outer;
}

Result<std::string> readManifestData(archive* inner, archive_entry* entry)
{
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry))
        return Error("'manifest' is not a regular file");
    if (archive_entry_size_is_set(entry) &&
        archive_entry_size(entry) > static_cast<la_int64_t>(kMaxManifestBytes))
        return Error("'manifest' is larger than " + std::to_string(kMaxManifestBytes) + " bytes");
    std::string text;
    char buffer[16384];
    while (true) {
        la_ssize_t n = archive_read_data(inner, buffer, sizeof buffer);
        if (n < 0) return Error("read 'manifest': " + archiveError(inner));
        if (n == 0) break;
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > kMaxManifestBytes)
            return Error("'manifest' is larger than " + std::to_string(kMaxManifestBytes) +
                         " bytes");
    }
    return text;
}

// Walks the ACI's tar. With a writer, every uncompressed byte (up to the
// end of the stream, padding included, since the image ID covers it) goes
// to the blob; with stopAtManifest, stops once the manifest is read.
Result<ScanResult> scanAci(int fd, AciCompression compression, BlobWriter* writer,
                           bool stopAtManifest)
{
    Tee tee;
    ArchiveReader outer;
    if (compression == AciCompression::None || compression == AciCompression::Gzip) {
        char head[4] = {};
        ssize_t n;
        do {
            n = ::pread(fd, head, sizeof head, 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0) return Error::fromErrno("read");
        tee.push = Decompressor::forStream(std::string_view(head, static_cast<size_t>(n)));
        if (!tee.push) return Error("no decompressor for this file");
        if (::lseek(fd, 0, SEEK_SET) < 0) return Error::fromErrno("seek");
        tee.fd = fd;
        tee.input.resize(256 * 1024);
    } else {
        BERTH_TRY(outer, openDecompressor(fd, compression));
        tee.outer = outer.get();
    }
    tee.writer = writer;

    ArchiveReader inner(archive_read_new());
    if (!inner) return Error("out of memory");
    // No skip callback: skipped entry data must still flow through the tee.
    if (archive_read_support_format_tar(inner.get()) != ARCHIVE_OK ||
        archive_read_open(inner.get(), &tee, nullptr, teeRead, nullptr) != ARCHIVE_OK) {
        if (tee.error) return std::move(*tee.error);
        return Error("not a tar archive: " + archiveError(inner.get()));
    }

    ScanResult result;
    std::unordered_set<std::string> seen;
    while (true) {
        archive_entry* entry = nullptr;
        int r = archive_read_next_header(inner.get(), &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            if (tee.error) return std::move(*tee.error);
            return Error("read tar: " + archiveError(inner.get()));
        }
        if (++result.entries > kMaxEntries)
            return Error("more than " + std::to_string(kMaxEntries) + " entries");
        const char* rawName = archive_entry_pathname(entry);
        if (!rawName) return Error("entry with an unreadable name");
        BERTH_TRY(std::string name, cleanEntryPath(rawName));
        if (const char* link = archive_entry_hardlink(entry)) {
            BERTH_TRY(std::string target, cleanEntryPath(link));
            if (!target.starts_with("rootfs/"))
                return Error("entry '" + std::string(rawName) + "': hardlink to '" + link +
                             "', outside rootfs/");
        }
        if (name.empty()) {
            // "./": the archive's own top directory.
        } else if (name == "manifest") {
            if (result.manifest) return Error("duplicate 'manifest' entry");
            BERTH_TRY(std::string text, readManifestData(inner.get(), entry));
            result.manifest = std::move(text);
            if (stopAtManifest) return result;
        } else if (name == "rootfs") {
            if (archive_entry_filetype(entry) != AE_IFDIR)
                return Error("'rootfs' is not a directory");
            result.rootfs = true;
        } else if (name.starts_with("rootfs/")) {
            // The reference refuses an archive naming a path twice; which
            // copy wins would otherwise depend on the extractor.
            if (!seen.insert(name).second) return Error("duplicate entry '" + name + "'");
            // appc requires a rootfs directory entry; tars made with
            // `tar -C dir rootfs/x` lack one and are harmless, so accept.
            result.rootfs = true;
        } else {
            return Error("entry '" + std::string(rawName) +
                         "' is outside 'manifest' and 'rootfs/'");
        }
    }
    if (tee.error) return std::move(*tee.error);
    // Bytes after the end-of-archive blocks are part of the image too.
    if (writer) {
        const void* ignored;
        while (true) {
            la_ssize_t n = teeRead(nullptr, &tee, &ignored);
            if (n == 0) break;
            if (n < 0) return std::move(*tee.error);
        }
    }
    result.tarBytes = tee.total;
    return result;
}

std::string refusalForUnsigned(const std::string& path)
{
    std::string prefix = "NAME";
    if (auto manifest = readAciFileManifest(path)) prefix = manifest->name;
    return "image '" + path + "' has no verified signature; trust its signer with 'berth trust " +
           "--prefix " + prefix + "', or pass --insecure-options=image";
}

Result<UniqueFd> openAciFile(const std::string& path)
{
    return openRegularFile(path);
}

} // namespace

Result<AciCompression> detectAciCompression(const std::string& path)
{
    BERTH_TRY(UniqueFd fd, openAciFile(path));
    return detectFd(fd.get(), path);
}

Result<AciImageManifest> readAciFileManifest(const std::string& path)
{
    BERTH_TRY(UniqueFd fd, openAciFile(path));
    BERTH_TRY(AciCompression compression, detectFd(fd.get(), path));
    BERTH_TRY(ScanResult scan,
              scanAci(fd.get(), compression, nullptr, true).context("ACI '" + path + "'"));
    if (!scan.manifest) return Error("ACI '" + path + "' has no manifest");
    return parseAciImageManifest(*scan.manifest).context("ACI '" + path + "'");
}

Result<ImageRecord> importAciFile(Store& store, const std::string& path,
                                  const ImportOptions& options)
{
    // Signatures are checked before anything is written: nothing unsigned is
    // imported unless the user says so. Verification itself runs in the verify stage; its verdict
    // arrives here as options.verifiedBy. Without one, only
    // --insecure-options=image lets an ACI in.
    if (!options.allowUnsigned && options.verifiedBy.empty())
        return Error(refusalForUnsigned(path));

    const std::string what = "ACI '" + path + "'";
    BERTH_TRY(UniqueFd fd, openAciFile(path));
    BERTH_TRY(AciCompression compression, detectFd(fd.get(), path));
    // gc holds the store lock exclusively: it must not collect the blobs
    // committed below before the index names them.
    BERTH_TRY(FileLock storeLock, store.lock(FileLock::Mode::Shared));
    BERTH_TRY(BlobWriter writer, store.newBlob(DigestAlgorithm::Sha512));
    // On any error below the writer is dropped uncommitted and its staging
    // file removed: nothing appears under a final name.
    BERTH_TRY(ScanResult scan, scanAci(fd.get(), compression, &writer, false).context(what));
    if (!scan.manifest) return Error(what + ": no image manifest ('manifest') found");
    if (!scan.rootfs) return Error(what + ": no 'rootfs' directory found");
    BERTH_TRY(AciImageManifest manifest, parseAciImageManifest(*scan.manifest).context(what));
    BERTH_CHECK(checkStoredName(manifest.name, manifest.label("version").value_or("latest"), what));

    BERTH_TRY(Digest tarDigest,
              writer.commit(std::nullopt, static_cast<int64_t>(scan.tarBytes)).context(what));
    BERTH_TRY(
        Digest manifestDigest,
        store.putBlob(*scan.manifest, DigestAlgorithm::Sha256).context(what + ": store manifest"));

    ImageRecord record;
    record.id = tarDigest.appcStr();
    record.format = ImageFormat::Aci;
    record.name = manifest.name;
    record.tag = manifest.label("version").value_or("latest");
    record.manifestDigest = manifestDigest;
    record.layers.push_back(LayerRecord{tarDigest, tarDigest, "application/vnd.appc.aci",
                                        static_cast<int64_t>(scan.tarBytes)});
    for (const auto& dep : manifest.dependencies)
        record.dependencies.push_back(dep.toRecord());
    record.size = static_cast<int64_t>(scan.tarBytes + scan.manifest->size());
    record.importedAt = static_cast<int64_t>(::time(nullptr));
    record.source = path;
    record.verifiedBy = options.verifiedBy.empty() ? "insecure" : options.verifiedBy;
    // The index entry comes last: until it exists the blobs are unreferenced
    // and gc may take them, but no name points at anything partial.
    BERTH_CHECK(store.index().putImage(record).context(what + ": record image"));
    return record;
}

} // namespace berth
