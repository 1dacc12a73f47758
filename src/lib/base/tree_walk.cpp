#include <berth/base/tree_walk.hpp>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace berth
{

namespace
{

struct Level {
    std::string name; // in its parent; empty for the root
    dev_t dev = 0;
    ino_t ino = 0;
    DIR* dir = nullptr; // null while closed to stay within the fd budget
    long position = 0;  // where its listing stopped when it was closed
};

class Walker
{
public:
    Walker(const TreeWalk& walk, const std::string& shown) : walk_(walk), shown_(shown) {}
    ~Walker()
    {
        for (auto& level : stack_)
            if (level.dir) ::closedir(level.dir);
    }
    Walker(const Walker&) = delete;
    Walker& operator=(const Walker&) = delete;

    Result<void> run(int rootFd)
    {
        int fd = ::fcntl(rootFd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return Error::fromErrno("dup '" + shown_ + "'");
        BERTH_CHECK(push(fd, ""));
        while (!stack_.empty()) {
            errno = 0;
            dirent* entry = ::readdir(stack_.back().dir);
            if (!entry) {
                if (errno != 0) return Error::fromErrno("list '" + path() + "'");
                BERTH_CHECK(ascend());
                continue;
            }
            std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            int dirFd = ::dirfd(stack_.back().dir);
            auto step = walk_.entry(dirFd, name, entry->d_type);
            if (!step) return std::move(step).error().addContext("in '" + path() + "'");
            if (*step == TreeWalk::Step::Descend) BERTH_CHECK(descend(dirFd, name));
        }
        return ok();
    }

private:
    // The path of the current directory for messages: the first levels and
    // the last few, as a path thousands of levels deep is no help to read.
    std::string path(const std::string& leaf = {}) const
    {
        std::string out = shown_;
        size_t n = stack_.size();
        for (size_t i = 1; i < n; ++i) {
            if (n > 12 && i == 4) {
                out += "/…(" + std::to_string(n - 8) + " more)…";
                i = n - 5;
                continue;
            }
            out += "/" + stack_[i].name;
        }
        if (!leaf.empty()) out += "/" + leaf;
        return out;
    }

    size_t openCount() const
    {
        size_t count = 0;
        for (const auto& level : stack_)
            if (level.dir) ++count;
        return count;
    }

    Result<void> push(int fd, std::string name)
    {
        struct stat st;
        if (::fstat(fd, &st) < 0) {
            int err = errno;
            ::close(fd);
            return Error::fromErrno("stat '" + path(name) + "'", err);
        }
        DIR* dir = ::fdopendir(fd);
        if (!dir) {
            int err = errno;
            ::close(fd);
            return Error::fromErrno("list '" + path(name) + "'", err);
        }
        stack_.push_back(Level{std::move(name), st.st_dev, st.st_ino, dir, 0});
        return ok();
    }

    Result<void> descend(int dirFd, const std::string& name)
    {
        int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (walk_.skipUnopenable) return ok();
            return Error::fromErrno("open '" + path(name) + "'");
        }
        // Over budget: close the shallowest open level. Open levels are
        // always the deepest ones, as we go down one at a time.
        if (openCount() + 1 > std::max<size_t>(walk_.maxOpen, 2))
            for (auto& level : stack_)
                if (level.dir) {
                    level.position = ::telldir(level.dir);
                    ::closedir(level.dir);
                    level.dir = nullptr;
                    break;
                }
        return push(fd, name);
    }

    Result<void> ascend()
    {
        if (stack_.size() == 1) {
            ::closedir(stack_.back().dir);
            stack_.pop_back();
            return ok();
        }
        Level& parent = stack_[stack_.size() - 2];
        Level& child = stack_.back();
        if (!parent.dir) {
            int fd = ::openat(::dirfd(child.dir), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) return Error::fromErrno("open '" + path() + "/..'");
            struct stat st;
            if (::fstat(fd, &st) < 0 || st.st_dev != parent.dev || st.st_ino != parent.ino) {
                ::close(fd);
                return Error("'" + path() + "' was moved while it was walked", ESTALE);
            }
            parent.dir = ::fdopendir(fd);
            if (!parent.dir) {
                int err = errno;
                ::close(fd);
                return Error::fromErrno("list '" + path() + "/..'", err);
            }
            if (!walk_.consumes) ::seekdir(parent.dir, parent.position);
        }
        ::closedir(child.dir);
        std::string name = std::move(child.name);
        stack_.pop_back();
        if (!walk_.leave) return ok();
        auto left = walk_.leave(::dirfd(stack_.back().dir), name);
        if (!left) return std::move(left).error().addContext("in '" + path() + "'");
        return ok();
    }

    const TreeWalk& walk_;
    std::string shown_;
    std::vector<Level> stack_;
};

} // namespace

Result<void> walkTree(int rootFd, const TreeWalk& walk, const std::string& shown)
{
    Walker walker(walk, shown);
    return walker.run(rootFd);
}

} // namespace berth
