#include <berth/base/file.hpp>
#include <berth/base/tree_walk.hpp>
#include <cerrno>
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

// `depth` nested directories "d" below dir, with a file in each level and
// a mode-0 directory at the bottom; made with *at() calls, as the path is
// far longer than PATH_MAX.
void makeDeepTree(const std::string& dir, int depth)
{
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    for (int i = 0; i < depth; ++i) {
        UniqueFd file(::openat(fd.get(), "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        REQUIRE(file.get() >= 0);
        REQUIRE(::mkdirat(fd.get(), "d", 0755) == 0);
        UniqueFd next(::openat(fd.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        REQUIRE(next.get() >= 0);
        fd = std::move(next);
    }
    REQUIRE(::mkdirat(fd.get(), "locked", 0) == 0);
}

// Lowers the soft fd limit for a scope: fewer fds than the tree has levels.
class FdLimit
{
public:
    explicit FdLimit(rlim_t limit)
    {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        struct rlimit lower = saved_;
        lower.rlim_cur = limit;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &lower) == 0);
    }
    ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    struct rlimit saved_ {
    };
};

} // namespace

TEST_CASE("removeTree removes a tree nested deeper than the fd limit and PATH_MAX")
{
    std::string dir = tempDir();
    makeDeepTree(dir, 5000);
    {
        FdLimit limit(64);
        auto removed = removeTree(dir);
        INFO((removed ? std::string() : removed.error().message()));
        CHECK(removed);
    }
    CHECK_FALSE(pathExists(dir));
}

TEST_CASE("walkTree visits every entry of a deep tree once, with few fds")
{
    std::string dir = tempDir();
    makeDeepTree(dir, 3000);
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(root.get() >= 0);
    int files = 0, dirs = 0, left = 0;
    TreeWalk walk;
    walk.maxOpen = 4;
    walk.skipUnopenable = true;
    walk.entry = [&](int dirFd, const std::string& name, unsigned char) -> Result<TreeWalk::Step> {
        struct stat st;
        REQUIRE(::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0);
        if (!S_ISDIR(st.st_mode)) {
            ++files;
            return TreeWalk::Step::Next;
        }
        ++dirs;
        return TreeWalk::Step::Descend;
    };
    walk.leave = [&](int, const std::string&) -> Result<void> {
        ++left;
        return ok();
    };
    {
        FdLimit limit(32);
        REQUIRE(walkTree(root.get(), walk, dir));
    }
    CHECK(files == 3000);
    CHECK(dirs == 3001); // 3000 "d" and the mode-0 "locked"
    // "locked" cannot be opened (unless we are root) and is skipped, not left.
    CHECK((left == 3000 || left == 3001));
    root.reset();
    REQUIRE(removeTree(dir));
}

TEST_CASE("walkTree stops with an error when a directory it left is moved away")
{
    std::string dir = tempDir();
    makeDeepTree(dir, 10);
    REQUIRE(::mkdir((dir + "/elsewhere").c_str(), 0755) == 0);
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(root.get() >= 0);
    TreeWalk walk;
    walk.maxOpen = 2;
    walk.skipUnopenable = true;
    bool moved = false;
    walk.entry = [&](int dirFd, const std::string& name,
                     unsigned char type) -> Result<TreeWalk::Step> {
        // Deep down, move the top "d" below "elsewhere": going back up
        // through ".." would now lead outside the tree being walked.
        if (!moved && name == "locked") {
            REQUIRE(::rename((dir + "/d").c_str(), (dir + "/elsewhere/d").c_str()) == 0);
            moved = true;
        }
        (void)dirFd;
        return type == DT_DIR && name != "locked" ? TreeWalk::Step::Descend : TreeWalk::Step::Next;
    };
    auto walked = walkTree(root.get(), walk, dir);
    CHECK(moved);
    REQUIRE_FALSE(walked);
    CHECK(walked.error().message().find("was moved") != std::string::npos);
    root.reset();
    REQUIRE(removeTree(dir));
}
