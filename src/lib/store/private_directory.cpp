#include <berth/base/log.hpp>
#include <berth/store/private_directory.hpp>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

std::string ownerText(uid_t uid)
{
    std::string id = "uid " + std::to_string(uid);
    if (passwd* pw = ::getpwuid(uid)) return std::string(pw->pw_name) + " (" + id + ")";
    return id;
}

bool trustedOwner(const struct stat& st)
{
    return st.st_uid == 0 || st.st_uid == ::geteuid();
}

// Others may replace or rename what such a directory holds. A sticky
// directory (/tmp) lets them remove only their own entries.
bool othersMayWrite(const struct stat& st)
{
    return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0;
}

// Checks the directories and links on the way to `path` as spelled, not
// `path` itself when it is a directory (checkPrivateDirectory's part).
// Stops at the first component that does not exist yet: whoever creates it
// checks again. Sets *sawLink when the way passes a symbolic link.
Result<void> checkPrefixes(const std::string& path, bool* sawLink)
{
    size_t end = 0;
    while (end != std::string::npos) {
        end = path.find('/', end + 1);
        std::string prefix = path.substr(0, end);
        if (prefix.empty() || prefix.back() == '/') continue;
        struct stat st;
        if (::lstat(prefix.c_str(), &st) < 0) {
            if (errno == ENOENT) return ok();
            return Error::fromErrno("stat '" + prefix + "'");
        }
        if (S_ISLNK(st.st_mode)) {
            *sawLink = true;
            if (!trustedOwner(st))
                return Error("'" + prefix + "', on the way to '" + path +
                             "', is a symbolic link that belongs to " + ownerText(st.st_uid) +
                             ", who could point it elsewhere; refusing it: keep berth's files "
                             "on a path that only you and root control");
            continue;
        }
        if (end == std::string::npos || !S_ISDIR(st.st_mode)) return ok();
        if (!trustedOwner(st))
            return Error("'" + prefix + "', on the way to '" + path + "', belongs to " +
                         ownerText(st.st_uid) + ", who could swap what it holds; refusing it: " +
                         "keep berth's files on a path that only you and root control");
        if (othersMayWrite(st))
            return Error("'" + prefix + "', on the way to '" + path +
                         "', is writable by other users (mode " + octal(st.st_mode) +
                         "), who could swap what it holds; refusing it: 'chmod go-w " + prefix +
                         "', or keep berth's files elsewhere");
    }
    return ok();
}

} // namespace

Result<void> checkPathAbove(const std::string& path)
{
    if (path.empty() || path[0] != '/') return Error("'" + path + "' is not an absolute path");
    bool sawLink = false;
    BERTH_CHECK(checkPrefixes(path, &sawLink));
    if (!sawLink) return ok();
    // The links are ours or root's; where they lead must be safe too. The
    // end of the path may not exist yet: resolve the part that does.
    std::string existing = path, rest;
    char resolved[PATH_MAX];
    while (!::realpath(existing.c_str(), resolved)) {
        if (errno != ENOENT) return Error::fromErrno("resolve '" + existing + "'");
        size_t slash = existing.find_last_of('/');
        if (slash == 0 || slash == std::string::npos) return ok();
        rest = existing.substr(slash) + rest;
        existing.resize(slash);
    }
    std::string target = std::string(resolved) + rest;
    bool again = false;
    return checkPrefixes(target, &again).context("'" + path + "' leads to '" + target + "'");
}

Result<void> checkPrivateDirectory(int fd, const std::string& path)
{
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::fromErrno("stat '" + path + "'");
    if (!S_ISDIR(st.st_mode)) return Error("'" + path + "' is not a directory");
    if (st.st_uid != ::geteuid())
        return Error("'" + path + "' belongs to " + ownerText(st.st_uid) +
                     ", not to you; refusing it, as its owner decides what your containers " +
                     "would run: use a directory of your own (--root, XDG_DATA_HOME)");
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return Error("'" + path + "' is writable by other users (mode " + octal(st.st_mode) +
                     "), who may have changed what it holds; refusing it: remove it, or " +
                     "'chmod 0700 " + path + "' if you trust everyone who could write it");
    if ((st.st_mode & 077) != 0) {
        // Readable by others is how stores were made before they were kept
        // private: nobody could have changed them, so repair and go on.
        if (::fchmod(fd, st.st_mode & 07700) < 0)
            return Error::fromErrno("make '" + path + "' private (chmod 0700)");
        logInfo("made '{}' private to you (mode {} -> {}): other users could read it", path,
                octal(st.st_mode), octal(st.st_mode & 07700));
    }
    return ok();
}

} // namespace berth
