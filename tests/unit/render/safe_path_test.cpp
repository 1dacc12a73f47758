#include "render_fixture.hpp"

#include <berth/render/safe_path.hpp>

using namespace berth;
using namespace berth::test;

TEST_CASE("member names are normalised, and '..' and absolute names refused")
{
    auto p = parseTreePath("./usr//bin/", 4096);
    REQUIRE(p);
    CHECK(p->str() == "usr/bin");
    CHECK(parseTreePath("./", 4096)->isRoot());
    CHECK(parseTreePath(".", 4096)->isRoot());
    for (const char* bad : {"../x", "a/../b", "a/..", "/etc/passwd", ""})
        CHECK_MESSAGE(!parseTreePath(bad, 4096), bad);
    CHECK_FALSE(parseTreePath(std::string(100, 'a'), 50));
    CHECK_FALSE(parseTreePath(std::string(300, 'a'), 4096)); // NAME_MAX
    CHECK(parseTreePath("a/.wh..", 4096));                   // a name, not a ".." component
}

TEST_CASE("directories resolve only while they stay inside the tree")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(makeDirectories(root + "/usr/lib"));
    REQUIRE(makeDirectories(dir / "outside"));
    REQUIRE(::symlink("usr/lib", (root + "/lib").c_str()) == 0);
    REQUIRE(::symlink("../usr", (root + "/usr/self").c_str()) == 0);
    REQUIRE(::symlink((dir / "outside").c_str(), (root + "/abs").c_str()) == 0);
    REQUIRE(::symlink("../outside", (root + "/rel").c_str()) == 0);
    REQUIRE(::symlink("../../outside", (root + "/usr/deep").c_str()) == 0);
    auto rootFd = openDirectory(root);
    REQUIRE(rootFd);

    auto path = [](const char* p) { return *parseTreePath(p, 4096); };
    CHECK(openTreeDirectory(rootFd->get(), path("lib"), false));
    CHECK(openTreeDirectory(rootFd->get(), path("usr/self/lib"), false));
    for (const char* escape : {"abs", "rel", "usr/deep", "abs/x"}) {
        auto fd = openTreeDirectory(rootFd->get(), path(escape), true);
        REQUIRE_FALSE_MESSAGE(fd, escape);
        CHECK(fd.error().message().find("leads out of the tree") != std::string::npos);
    }
    CHECK(listDir(dir / "outside").empty());

    auto made = openTreeDirectory(rootFd->get(), path("lib/new/deeper"), true);
    REQUIRE(made);
    CHECK(exists(root + "/usr/lib/new/deeper"));
}
