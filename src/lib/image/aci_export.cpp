#include "archive_path.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <berth/base/file.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/image/aci_export.hpp>
#include <berth/image/oci_config.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace berth
{

namespace
{

constexpr uint64_t kMaxEntriesPerLayer = 2'000'000;

struct ArchiveWriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using Entry = std::unique_ptr<archive_entry, EntryFree>;

std::string archiveError(archive* a)
{
    const char* text = archive_error_string(a);
    return text ? text : "unknown libarchive error";
}

// The output file: written beside its final name, renamed into place once
// complete, removed on any failure.
class OutputFile
{
public:
    static Result<OutputFile> create(const std::string& path)
    {
        OutputFile out;
        out.final_ = path;
        out.tmp_ = path + ".tmp-" + randomHex(6);
        BERTH_TRY(out.fd_, openPath(out.tmp_, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        return out;
    }
    OutputFile() = default;
    OutputFile(OutputFile&& other) noexcept
        : fd_(std::move(other.fd_)), tmp_(std::move(other.tmp_)), final_(std::move(other.final_))
    {
        other.tmp_.clear();
    }
    ~OutputFile()
    {
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
    }
    int fd() const { return fd_.get(); }

    Result<void> publish()
    {
        if (::fsync(fd_.get()) < 0) return Error::fromErrno("sync '" + tmp_ + "'");
        fd_.reset();
        if (::rename(tmp_.c_str(), final_.c_str()) < 0)
            return Error::fromErrno("rename '" + tmp_ + "' to '" + final_ + "'");
        tmp_.clear();
        return ok();
    }

private:
    UniqueFd fd_;
    std::string tmp_;
    std::string final_;
};

bool wantsPlainTar(const std::string& file)
{
    return file.size() >= 4 && file.compare(file.size() - 4, 4, ".tar") == 0;
}

Result<ArchiveWriter> openWriter(int fd, bool gzip, bool rawFormat)
{
    ArchiveWriter writer(archive_write_new());
    if (!writer) return Error("out of memory");
    int r = rawFormat ? archive_write_set_format_raw(writer.get())
                      : archive_write_set_format_pax_restricted(writer.get());
    if (r != ARCHIVE_OK) return Error("archive format: " + archiveError(writer.get()));
    if (gzip && archive_write_add_filter_gzip(writer.get()) != ARCHIVE_OK)
        return Error("gzip: " + archiveError(writer.get()));
    // Tar output must not be padded to libarchive's default 10 KiB records
    // when raw: the bytes are the image as stored.
    if (rawFormat) archive_write_set_bytes_in_last_block(writer.get(), 1);
    if (archive_write_open_fd(writer.get(), fd) != ARCHIVE_OK)
        return Error("open output: " + archiveError(writer.get()));
    return writer;
}

Result<void> writeData(archive* writer, const void* data, size_t size)
{
    la_ssize_t n = archive_write_data(writer, data, size);
    if (n < 0 || static_cast<size_t>(n) != size) return Error("write: " + archiveError(writer));
    return ok();
}

// ---- ACI → ACI -------------------------------------------------------------

Result<void> exportStoredAci(Store& store, const ImageRecord& image, const std::string& file)
{
    if (image.layers.size() != 1)
        return Error("ACI image " + image.id + " has " + std::to_string(image.layers.size()) +
                     " layers in the index; expected one");
    const Digest& blob = image.layers.front().blob;
    BERTH_TRY(UniqueFd in, store.openBlob(blob));
    BERTH_TRY(OutputFile out, OutputFile::create(file));
    if (wantsPlainTar(file)) {
        Hasher hasher(blob.algorithm());
        char buffer[1 << 16];
        while (true) {
            ssize_t n = ::read(in.get(), buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Error::fromErrno("read blob " + blob.appcStr());
            if (n == 0) break;
            hasher.update(buffer, static_cast<size_t>(n));
            BERTH_CHECK(writeAll(out.fd(), std::string_view(buffer, static_cast<size_t>(n))));
        }
        if (!(hasher.finish() == blob))
            return Error("stored blob " + blob.appcStr() + " does not match its digest");
        return out.publish();
    }

    BERTH_TRY(ArchiveWriter writer, openWriter(out.fd(), true, true));
    Entry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), "image.tar");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), image.layers.front().size);
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK)
        return Error("write: " + archiveError(writer.get()));
    Hasher hasher(blob.algorithm());
    char buffer[1 << 16];
    while (true) {
        ssize_t n = ::read(in.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("read blob " + blob.appcStr());
        if (n == 0) break;
        hasher.update(buffer, static_cast<size_t>(n));
        BERTH_CHECK(writeData(writer.get(), buffer, static_cast<size_t>(n)));
    }
    if (!(hasher.finish() == blob))
        return Error("stored blob " + blob.appcStr() + " does not match its digest");
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
        return Error("write: " + archiveError(writer.get()));
    return out.publish();
}

// ---- OCI → ACI -------------------------------------------------------------

std::string parentOf(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string baseOf(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<ArchiveReader> openLayer(Store& store, const LayerRecord& layer, UniqueFd& fd)
{
    BERTH_TRY(fd, store.openBlob(layer.blob));
    ArchiveReader reader(archive_read_new());
    if (!reader) return Error("out of memory");
    // Compression is told by the bytes; the media type is not trusted.
    if (archive_read_support_filter_gzip(reader.get()) < ARCHIVE_WARN ||
        archive_read_support_filter_zstd(reader.get()) < ARCHIVE_WARN ||
        archive_read_support_format_tar(reader.get()) != ARCHIVE_OK ||
        archive_read_open_fd(reader.get(), fd.get(), 1 << 16) != ARCHIVE_OK)
        return Error("open layer " + layer.blob.str() + ": " + archiveError(reader.get()));
    return reader;
}

// Which entry of which layer provides each path of the flattened tree.
struct Flattening {
    using Key = std::pair<size_t, uint64_t>; // layer, entry ordinal in it
    std::unordered_map<std::string, Key> winners;
    // A visible hardlink whose target entry does not end up in the output
    // before it (replaced or removed by a layer above, or re-written later
    // in its own layer) still means the target's content at the time it was
    // linked: it is written as a copy of that entry.
    std::map<Key, Key> linksToCopy;
    std::set<Key> copySources;
    // Winning directories' metadata: a directory is written where it is
    // first seen, lowest layer first, so that no entry ever precedes its
    // parent directory (a layer above may restate a directory's metadata
    // after a lower layer filled it).
    std::unordered_map<std::string, Entry> directories;
};

// Captured content of a hardlink target that is not written as such.
constexpr uint64_t kMaxCopiedLinkBytes = uint64_t{1} << 30;

// Pass 1, top layer first: an entry is shadowed by an entry of the same path
// in a layer above, by a whiteout of it or of a parent above, by an opaque
// parent above, or by a non-directory above at a parent path.
Result<Flattening> planFlattening(Store& store, const ImageRecord& image)
{
    Flattening plan;
    std::unordered_set<std::string> whiteouts; // hides the path and below
    std::unordered_set<std::string> hideBelow; // hides strictly below
    struct Link {
        Flattening::Key link;
        Flattening::Key target;
        std::string targetPath;
    };
    std::vector<Link> links;
    for (size_t i = image.layers.size(); i-- > 0;) {
        const LayerRecord& layer = image.layers[i];
        UniqueFd fd;
        BERTH_TRY(ArchiveReader reader, openLayer(store, layer, fd));
        std::vector<std::string> newWhiteouts, newHideBelow;
        std::unordered_map<std::string, uint64_t> latestInLayer;
        uint64_t ordinal = 0;
        while (true) {
            archive_entry* entry = nullptr;
            int r = archive_read_next_header(reader.get(), &entry);
            if (r == ARCHIVE_EOF) break;
            if (r < ARCHIVE_WARN)
                return Error("layer " + layer.blob.str() + ": " + archiveError(reader.get()));
            uint64_t index = ordinal++;
            if (ordinal > kMaxEntriesPerLayer)
                return Error("layer " + layer.blob.str() + ": too many entries");
            const char* rawName = archive_entry_pathname(entry);
            if (!rawName)
                return Error("layer " + layer.blob.str() + ": entry with an unreadable name");
            BERTH_TRY(std::string path,
                      cleanArchivePath(rawName).context("layer " + layer.blob.str()));
            if (path.empty()) continue;
            std::string base = baseOf(path);
            if (base == ".wh..wh..opq") {
                newHideBelow.push_back(parentOf(path));
                continue;
            }
            if (base.starts_with(".wh.")) {
                std::string parent = parentOf(path);
                newWhiteouts.push_back((parent.empty() ? "" : parent + "/") + base.substr(4));
                continue;
            }
            std::optional<std::string> linkTarget;
            if (const char* link = archive_entry_hardlink(entry)) {
                BERTH_TRY(std::string target,
                          cleanArchivePath(link).context("layer " + layer.blob.str()));
                linkTarget = std::move(target);
            }
            bool hidden = whiteouts.count(path) > 0;
            for (std::string a = parentOf(path); !hidden && !a.empty(); a = parentOf(a))
                hidden = whiteouts.count(a) || hideBelow.count(a);
            if (auto it = plan.winners.find(path);
                it != plan.winners.end() && it->second.first != i)
                hidden = true;
            if (!hidden) {
                // Within one layer the last entry of a path wins, as extraction does.
                plan.winners[path] = Flattening::Key{i, index};
                if (archive_entry_filetype(entry) == AE_IFDIR && !linkTarget)
                    plan.directories[path].reset(archive_entry_clone(entry));
                else
                    plan.directories.erase(path);
                if (archive_entry_filetype(entry) != AE_IFDIR || linkTarget)
                    newHideBelow.push_back(path);
                if (linkTarget) {
                    auto target = latestInLayer.find(*linkTarget);
                    // A target outside this layer is left to the extractor.
                    if (target != latestInLayer.end())
                        links.push_back(Link{{i, index}, {i, target->second}, *linkTarget});
                }
            }
            latestInLayer[path] = index;
        }
        for (auto& w : newWhiteouts)
            whiteouts.insert(std::move(w));
        for (auto& h : newHideBelow)
            hideBelow.insert(std::move(h));
    }
    for (const auto& link : links) {
        auto winner = plan.winners.find(link.targetPath);
        if (winner != plan.winners.end() && winner->second == link.target) continue;
        plan.linksToCopy[link.link] = link.target;
        plan.copySources.insert(link.target);
    }
    return plan;
}

Result<void> copyData(archive* reader, archive* writer, std::string* capture, uint64_t& captured,
                      const std::string& path)
{
    char buffer[1 << 16];
    while (true) {
        la_ssize_t n = archive_read_data(reader, buffer, sizeof buffer);
        if (n < 0) return Error("read '" + path + "': " + archiveError(reader));
        if (n == 0) return ok();
        if (writer) BERTH_CHECK(writeData(writer, buffer, static_cast<size_t>(n)));
        if (capture) {
            captured += static_cast<uint64_t>(n);
            if (captured > kMaxCopiedLinkBytes)
                return Error("hardlinks to replaced files hold more than 1 GiB");
            capture->append(buffer, static_cast<size_t>(n));
        }
    }
}

// Pass 2, bottom layer first: copies the winning entries under rootfs/.
Result<void> copyWinners(Store& store, const ImageRecord& image, const Flattening& plan,
                         archive* writer)
{
    struct Captured {
        Entry entry;
        std::string data;
    };
    std::map<Flattening::Key, Captured> captures;
    std::unordered_set<std::string> emittedDirectories;
    uint64_t captured = 0;
    for (size_t i = 0; i < image.layers.size(); ++i) {
        const LayerRecord& layer = image.layers[i];
        const std::string what = "layer " + layer.blob.str();
        UniqueFd fd;
        BERTH_TRY(ArchiveReader reader, openLayer(store, layer, fd));
        uint64_t ordinal = 0;
        while (true) {
            archive_entry* entry = nullptr;
            int r = archive_read_next_header(reader.get(), &entry);
            if (r == ARCHIVE_EOF) break;
            if (r < ARCHIVE_WARN) return Error(what + ": " + archiveError(reader.get()));
            Flattening::Key key{i, ordinal++};
            const char* rawName = archive_entry_pathname(entry);
            if (!rawName) continue; // pass 1 refused such a layer already
            BERTH_TRY(std::string path, cleanArchivePath(rawName));
            auto it = plan.winners.find(path);
            bool wins = !path.empty() && it != plan.winners.end() && it->second == key;
            bool source = plan.copySources.count(key) > 0;
            if (auto dir = plan.directories.find(path); dir != plan.directories.end()) {
                // The first sighting of a directory that survives, wherever
                // its final metadata comes from.
                if (archive_entry_filetype(entry) == AE_IFDIR && !emittedDirectories.count(path)) {
                    emittedDirectories.insert(path);
                    Entry out(archive_entry_clone(dir->second.get()));
                    archive_entry_set_pathname(out.get(), ("rootfs/" + path).c_str());
                    if (archive_write_header(writer, out.get()) < ARCHIVE_WARN)
                        return Error("write '" + path + "': " + archiveError(writer));
                }
                if (!source) continue;
                wins = false;
            }
            if (!wins && !source) continue;
            bool regularData =
                archive_entry_filetype(entry) == AE_IFREG && !archive_entry_hardlink(entry);

            if (wins) {
                Entry out;
                if (auto copy = plan.linksToCopy.find(key); copy != plan.linksToCopy.end()) {
                    auto& from = captures.at(copy->second);
                    out.reset(archive_entry_clone(from.entry.get()));
                    archive_entry_set_pathname(out.get(), ("rootfs/" + path).c_str());
                    if (archive_write_header(writer, out.get()) < ARCHIVE_WARN)
                        return Error("write '" + path + "': " + archiveError(writer));
                    if (!from.data.empty())
                        BERTH_CHECK(writeData(writer, from.data.data(), from.data.size()));
                    continue;
                }
                out.reset(archive_entry_clone(entry));
                if (!out) return Error("out of memory");
                archive_entry_set_pathname(out.get(), ("rootfs/" + path).c_str());
                if (const char* link = archive_entry_hardlink(entry)) {
                    BERTH_TRY(std::string target, cleanArchivePath(link));
                    archive_entry_set_hardlink(out.get(), ("rootfs/" + target).c_str());
                }
                if (archive_write_header(writer, out.get()) < ARCHIVE_WARN)
                    return Error("write '" + path + "': " + archiveError(writer));
            }
            std::string* capture = nullptr;
            if (source) {
                Captured& c = captures[key];
                c.entry.reset(archive_entry_clone(entry));
                archive_entry_set_hardlink(c.entry.get(), nullptr);
                capture = &c.data;
            }
            if (regularData)
                BERTH_CHECK(copyData(reader.get(), wins ? writer : nullptr, capture, captured, path)
                                .context(what));
        }
    }
    return ok();
}

Result<void> writeSimpleEntry(archive* writer, const std::string& path, unsigned type,
                              unsigned mode, std::string_view data = {})
{
    Entry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), mode);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), ::time(nullptr), 0);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    if (archive_write_header(writer, entry.get()) != ARCHIVE_OK)
        return Error("write '" + path + "': " + archiveError(writer));
    if (!data.empty()) BERTH_CHECK(writeData(writer, data.data(), data.size()));
    return ok();
}

Result<void> exportOciAsAci(Store& store, const ImageRecord& image, const std::string& file)
{
    BERTH_TRY(AciImageManifest manifest, ociConfigToAciManifest(store, image));
    std::string manifestText = serializeAciImageManifest(manifest);
    // What we write must read back: the same rules as import.
    BERTH_CHECK(parseAciImageManifest(manifestText).context("generated manifest"));
    BERTH_TRY(Flattening plan, planFlattening(store, image));

    BERTH_TRY(OutputFile out, OutputFile::create(file));
    BERTH_TRY(ArchiveWriter writer, openWriter(out.fd(), !wantsPlainTar(file), false));
    BERTH_CHECK(writeSimpleEntry(writer.get(), "manifest", AE_IFREG, 0644, manifestText));
    BERTH_CHECK(writeSimpleEntry(writer.get(), "rootfs", AE_IFDIR, 0755));
    BERTH_CHECK(copyWinners(store, image, plan, writer.get()));
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
        return Error("write: " + archiveError(writer.get()));
    return out.publish();
}

bool validEnvName(const std::string& name)
{
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) || name[0] == '.' ||
        name[0] == '-')
        return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
            return false;
    return true;
}

} // namespace

Result<AciImageManifest> ociConfigToAciManifest(const Store& store, const ImageRecord& image)
{
    if (!image.configDigest) return Error("OCI image " + image.id + " has no config");
    BERTH_TRY(std::string text, store.readBlob(*image.configDigest));
    BERTH_TRY(OciImageConfig config, parseOciConfig(text, "config " + image.configDigest->str()));
    const OciExecConfig& c = config.config;

    AciImageManifest m;
    m.acVersion = "0.8.11";
    m.name = sanitizeAcIdentifier(image.name);
    if (m.name.empty())
        m.name = "localhost/" + sanitizeAcIdentifier(image.id.substr(image.id.find(':') + 1, 12));
    if (!image.tag.empty()) m.labels.emplace_back("version", image.tag);
    std::string os = config.os.empty() ? "linux" : config.os;
    std::string arch = ociArchToAppc(config.architecture, config.variant);
    // Labels outside appc's os/arch table would make the ACI invalid; an
    // unknown pair is left out rather than guessed.
    if (isValidAcOsArch(os, arch)) {
        m.labels.emplace_back("os", os);
        m.labels.emplace_back("arch", arch);
    }

    AciApp app;
    app.exec = c.entrypoint;
    app.exec.insert(app.exec.end(), c.cmd.begin(), c.cmd.end());
    // OCI "user[:group]"; appc requires both, and "0" is what Docker means
    // by none.
    std::string user = c.user;
    std::string group;
    if (auto colon = user.find(':'); colon != std::string::npos) {
        group = user.substr(colon + 1);
        user = user.substr(0, colon);
    }
    app.user = user.empty() ? "0" : user;
    app.group = group.empty() ? "0" : group;
    if (!c.workingDir.empty() && c.workingDir.front() == '/') app.workingDirectory = c.workingDir;
    std::map<std::string, size_t> envIndex;
    for (const auto& kv : c.env) {
        auto eq = kv.find('=');
        std::string name = kv.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : kv.substr(eq + 1);
        if (!validEnvName(name)) continue; // appc cannot express it
        if (auto it = envIndex.find(name); it != envIndex.end()) {
            app.environment[it->second].second = value; // the last one wins, as in OCI
            continue;
        }
        envIndex[name] = app.environment.size();
        app.environment.emplace_back(name, value);
    }
    std::set<std::string> portNames;
    for (const auto& p : c.exposedPorts) {
        auto slash = p.find('/');
        std::string number = p.substr(0, slash);
        std::string protocol = slash == std::string::npos ? "tcp" : p.substr(slash + 1);
        char* end = nullptr;
        unsigned long port = std::strtoul(number.c_str(), &end, 10);
        if (number.empty() || *end || port < 1 || port > 65535) continue;
        std::string name = sanitizeAcName(number + "-" + protocol);
        if (!portNames.insert(name).second) continue;
        app.ports.push_back(AciPort{name, protocol, static_cast<uint16_t>(port), 1, false});
    }
    std::set<std::string> mountNames;
    for (const auto& path : c.volumes) {
        std::string name = sanitizeAcName(path);
        if (name.empty()) name = "volume";
        for (int n = 2; !mountNames.insert(name).second; ++n)
            name = sanitizeAcName(path) + "-" + std::to_string(n);
        app.mountPoints.push_back(AciMountPoint{name, path, false});
    }
    m.app = std::move(app);

    for (const auto& [key, value] : c.labels)
        if (isValidAcIdentifier(key) && key != "created" && key != "homepage" &&
            key != "documentation")
            m.annotations.emplace_back(key, value);
    if (!config.created.empty()) {
        // Only if it reads back: the annotation must be RFC 3339.
        AciImageManifest probe;
        probe.name = "x";
        probe.annotations.emplace_back("created", config.created);
        if (parseAciImageManifest(serializeAciImageManifest(probe)))
            m.annotations.emplace_back("created", config.created);
    }
    return m;
}

Result<void> exportAci(Store& store, const ImageRecord& image, const std::string& file)
{
    const std::string what = "export " + image.id + " to '" + file + "'";
    if (image.format == ImageFormat::Aci) return exportStoredAci(store, image, file).context(what);
    return exportOciAsAci(store, image, file).context(what);
}

} // namespace berth
