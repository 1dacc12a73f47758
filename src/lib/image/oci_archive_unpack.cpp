#include "oci_archive_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <berth/base/file.hpp>
#include <berth/base/regular_file.hpp>
#include <berth/base/unique_fd.hpp>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace berth
{

namespace
{

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};

std::string joinPath(const std::vector<std::string>& parts, size_t count)
{
    std::string out;
    for (size_t i = 0; i < count; ++i)
        out += (i ? "/" : "") + parts[i];
    return out;
}

// Opens (creating as needed) the directory holding the last component.
Result<UniqueFd> openParentDirectory(int rootFd, const std::vector<std::string>& parts,
                                     size_t depth)
{
    UniqueFd current(::fcntl(rootFd, F_DUPFD_CLOEXEC, 0));
    if (!current) return Error::fromErrno("dup");
    for (size_t i = 0; i < depth; ++i) {
        if (::mkdirat(current.get(), parts[i].c_str(), 0700) < 0 && errno != EEXIST)
            return Error::fromErrno("create directory '" + joinPath(parts, i + 1) + "'");
        UniqueFd next(::openat(current.get(), parts[i].c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) return Error::fromErrno("open directory '" + joinPath(parts, i + 1) + "'");
        current = std::move(next);
    }
    return current;
}

} // namespace

Result<std::vector<std::string>> safeRelativePath(const std::string& path)
{
    if (path.empty()) return Error("empty path");
    if (path[0] == '/') return Error("absolute path '" + path + "'");
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        std::string part =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") return Error("path '" + path + "' leaves the archive ('..')");
        if (!part.empty() && part != ".") parts.push_back(part);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    if (parts.empty()) return Error("path '" + path + "' names nothing");
    return parts;
}

Result<void> unpackImageArchive(const std::string& archivePath, const std::string& directory,
                                const ArchiveUnpackLimits& limits)
{
    std::string what = "archive '" + archivePath + "'";
    std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    BERTH_TRY(UniqueFd fileFd, openRegularFile(archivePath));
    if (archive_read_open_fd(a.get(), fileFd.get(), 1 << 20) != ARCHIVE_OK)
        return Error(what + ": " + archive_error_string(a.get()));
    BERTH_TRY(UniqueFd rootFd, openDirectory(directory));

    struct Link {
        std::vector<std::string> from;
        std::vector<std::string> to;
    };
    std::vector<Link> links;
    uint64_t entries = 0, bytes = 0;
    std::vector<char> buffer(1 << 20);
    while (true) {
        archive_entry* entry = nullptr;
        int rc = archive_read_next_header(a.get(), &entry);
        if (rc == ARCHIVE_EOF) break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            return Error(what + ": " + archive_error_string(a.get()));
        if (++entries > limits.maxEntries)
            return Error(what + ": more than " + std::to_string(limits.maxEntries) + " entries");
        const char* rawName = archive_entry_pathname(entry);
        std::string name = rawName ? rawName : "";
        auto parts = safeRelativePath(name);
        if (!parts) {
            // "./" alone is the archive's root directory.
            if (name == "." || name == "./") continue;
            return Error(what + ": entry refused: " + parts.error().message());
        }
        mode_t type = archive_entry_filetype(entry);
        if (type == AE_IFDIR) {
            BERTH_CHECK(openParentDirectory(rootFd.get(), *parts, parts->size()).context(what));
            continue;
        }
        if (type == AE_IFLNK) {
            const char* target = archive_entry_symlink(entry);
            std::vector<std::string> resolved(parts->begin(), parts->end() - 1);
            std::string t = target ? target : "";
            if (t.empty() || t[0] == '/') continue;
            // Resolve relative to the link's directory; `..` may go up but
            // never above the archive's root.
            bool escapes = false;
            size_t start = 0;
            while (start <= t.size()) {
                size_t slash = t.find('/', start);
                std::string part =
                    t.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
                if (part == "..") {
                    if (resolved.empty())
                        escapes = true;
                    else
                        resolved.pop_back();
                } else if (!part.empty() && part != ".") {
                    resolved.push_back(part);
                }
                if (slash == std::string::npos) break;
                start = slash + 1;
            }
            if (!escapes && !resolved.empty()) links.push_back({*parts, resolved});
            continue;
        }
        if (type != AE_IFREG) continue;
        BERTH_TRY(UniqueFd parent,
                  openParentDirectory(rootFd.get(), *parts, parts->size() - 1).context(what));
        UniqueFd out(::openat(parent.get(), parts->back().c_str(),
                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out) return Error::fromErrno(what + ": create '" + name + "'");
        while (true) {
            la_ssize_t n = archive_read_data(a.get(), buffer.data(), buffer.size());
            if (n < 0)
                return Error(what + ": read '" + name + "': " + archive_error_string(a.get()));
            if (n == 0) break;
            bytes += static_cast<uint64_t>(n);
            if (bytes > limits.maxBytes)
                return Error(what + ": larger than " + std::to_string(limits.maxBytes) + " bytes");
            BERTH_CHECK(writeAll(out.get(), std::string_view(buffer.data(), static_cast<size_t>(n)))
                            .context(what + ": write '" + name + "'"));
        }
    }
    // Our tree holds only directories and regular files, so these paths
    // resolve without following anything.
    for (const auto& link : links) {
        std::string from = joinPath(link.from, link.from.size());
        std::string to = joinPath(link.to, link.to.size());
        struct stat st;
        if (::fstatat(rootFd.get(), to.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        BERTH_TRY(UniqueFd parent,
                  openParentDirectory(rootFd.get(), link.from, link.from.size() - 1));
        if (::linkat(rootFd.get(), to.c_str(), parent.get(), link.from.back().c_str(), 0) < 0 &&
            errno != EEXIST)
            return Error::fromErrno(what + ": link '" + from + "'");
    }
    return ok();
}

} // namespace berth
