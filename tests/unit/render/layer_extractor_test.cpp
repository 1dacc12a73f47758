#include "render_fixture.hpp"

#include <cstdio>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

using namespace berth;
using namespace berth::test;

namespace
{

std::string base()
{
    return TarBuilder()
        .dir("etc")
        .file("etc/passwd", "root:x:0:0\n")
        .file("etc/group", "root:x:0:\n")
        .dir("opt")
        .dir("opt/app")
        .file("opt/app/old", "old")
        .dir("opt/app/sub")
        .file("opt/app/sub/lower", "lower")
        .dir("var")
        .file("var/file-becomes-dir", "f")
        .dir("var/dir-becomes-file")
        .file("var/dir-becomes-file/inner", "i")
        .symlink("var/link-becomes-dir", "../etc")
        .finish();
}

std::string upper()
{
    return TarBuilder()
        .file("etc/.wh.group", "")
        .dir("opt/app")
        .file("opt/app/.wh..wh..opq", "")
        .dir("opt/app/sub")
        .file("opt/app/sub/upper", "upper")
        .file("opt/app/new", "new")
        .dir("var/file-becomes-dir")
        .file("var/file-becomes-dir/x", "x")
        .file("var/dir-becomes-file", "now a file")
        .dir("var/link-becomes-dir")
        .file("var/link-becomes-dir/y", "y")
        .finish();
}

} // namespace

TEST_CASE("flatten: whiteouts, opaque directories and replacements follow OCI")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    auto r = applyTars(root, {fixtures::gzipBytes(base()), fixtures::gzipBytes(upper())},
                       LayerMode::Flatten);
    REQUIRE_MESSAGE(r, r.error().message());

    CHECK(exists(root + "/etc/passwd"));
    CHECK_FALSE(exists(root + "/etc/group"));
    CHECK_FALSE(exists(root + "/etc/.wh.group"));
    // Opaque: lower contents gone, this layer's kept, in any order.
    CHECK(listDir(root + "/opt/app") == std::set<std::string>{"new", "sub"});
    CHECK(listDir(root + "/opt/app/sub") == std::set<std::string>{"upper"});
    CHECK(S_ISDIR(lstatOf(root + "/var/file-becomes-dir").st_mode));
    CHECK(contentOf(root + "/var/file-becomes-dir/x") == "x");
    CHECK(contentOf(root + "/var/dir-becomes-file") == "now a file");
    // A directory replaces a symlink; it is not written through.
    CHECK(S_ISDIR(lstatOf(root + "/var/link-becomes-dir").st_mode));
    CHECK_FALSE(exists(root + "/etc/y"));
}

TEST_CASE("a whiteout does not hide what its own layer adds")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    std::string lower = TarBuilder().file("a", "lower").finish();
    std::string layer = TarBuilder().file("a", "same layer").file(".wh.a", "").finish();
    REQUIRE(applyTars(root, {lower, layer}, LayerMode::Flatten));
    CHECK(contentOf(root + "/a") == "same layer");
}

TEST_CASE("overlay: whiteouts are 0/0 character devices and opaque dirs carry the xattr")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    auto r = applyTars(root, {fixtures::gzipBytes(upper())}, LayerMode::Overlay);
    REQUIRE_MESSAGE(r, r.error().message());
    struct stat st = lstatOf(root + "/etc/group");
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
    char value[8] = {};
    CHECK(::getxattr((root + "/opt/app").c_str(), "user.overlay.opaque", value, sizeof value) == 1);
    CHECK(value[0] == 'y');
    CHECK_FALSE(exists(root + "/opt/app/.wh..wh..opq"));
    CHECK(contentOf(root + "/opt/app/new") == "new");
}

TEST_CASE("a layer cannot forge overlay xattrs")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    std::string tar = TarBuilder()
                          .dir("d", 0755, {}, {{"user.overlay.opaque", "y"}, {"user.ok", "1"}})
                          .file("f", "x", 0644, {}, {{"user.overlay.redirect", "/etc"}})
                          .finish();
    REQUIRE(applyTars(root, {tar}, LayerMode::Overlay));
    char value[8];
    CHECK(::getxattr((root + "/d").c_str(), "user.overlay.opaque", value, sizeof value) < 0);
    CHECK(::getxattr((root + "/f").c_str(), "user.overlay.redirect", value, sizeof value) < 0);
    CHECK(::getxattr((root + "/d").c_str(), "user.ok", value, sizeof value) == 1);
}

TEST_CASE("hardlinks, symlinks, fifos, modes and times are kept")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    std::string tar = TarBuilder()
                          .dir("bin", 0555)
                          .file("bin/tool", "#!/bin/sh\n", 04755)
                          .hardlink("bin/tool-again", "bin/tool")
                          .symlink("bin/sh", "/bin/busybox")
                          .symlink("tool-link", "bin/tool")
                          .fifo("pipe")
                          .file("secret", "s", 0400)
                          .finish();
    auto r = applyTars(root, {fixtures::zstdBytes(tar)}, LayerMode::Flatten);
    REQUIRE_MESSAGE(r, r.error().message());
    struct stat tool = lstatOf(root + "/bin/tool");
    CHECK((tool.st_mode & 07777) == 04755);
    CHECK(tool.st_mtime == 1'600'000'000);
    CHECK(lstatOf(root + "/bin/tool-again").st_ino == tool.st_ino);
    CHECK((lstatOf(root + "/bin").st_mode & 07777) == 0555); // applied after its files
    char target[64] = {};
    REQUIRE(::readlink((root + "/bin/sh").c_str(), target, sizeof target - 1) > 0);
    CHECK(std::string(target) == "/bin/busybox");
    CHECK(S_ISFIFO(lstatOf(root + "/pipe").st_mode));
    CHECK((lstatOf(root + "/secret").st_mode & 07777) == 0400);
}

TEST_CASE("a later layer may write into a read-only directory and replace a hardlinked file")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    std::string lower =
        TarBuilder().dir("ro", 0555).file("ro/a", "a").hardlink("ro/b", "ro/a").finish();
    std::string upper = TarBuilder().file("ro/a", "new a").file("ro/c", "c").finish();
    auto r = applyTars(root, {lower, upper}, LayerMode::Flatten);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(contentOf(root + "/ro/a") == "new a");
    CHECK(contentOf(root + "/ro/b") == "a"); // replaced, not written through the link
    CHECK(contentOf(root + "/ro/c") == "c");
}

TEST_CASE("a symlink inside the tree may be written through; the link itself is never followed")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    std::string lower = TarBuilder().dir("usr/lib").symlink("lib", "usr/lib").finish();
    std::string upper = TarBuilder().file("lib/libc.so", "c").symlink("lib", "usr/lib").finish();
    auto r = applyTars(root, {lower, upper}, LayerMode::Flatten);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(contentOf(root + "/usr/lib/libc.so") == "c");
    CHECK(S_ISLNK(lstatOf(root + "/lib").st_mode));
}

TEST_CASE("an entry repeated in one layer replaces the one before it, never writes through it")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    std::string outside = dir / "outside";
    {
        FILE* f = std::fopen(outside.c_str(), "w");
        REQUIRE(f);
        std::fputs("keep", f);
        std::fclose(f);
    }
    std::string tar = TarBuilder()
                          .symlink("out", outside)
                          .file("out", "data")
                          .file("f", "1")
                          .symlink("f", "target")
                          .file("d", "x")
                          .dir("d")
                          .file("d/y", "y")
                          .dir("e")
                          .file("e/z", "z")
                          .file("e", "now a file")
                          .fifo("p")
                          .file("p", "p")
                          .file("h1", "h")
                          .file("h2", "other")
                          .hardlink("h2", "h1")
                          .finish();
    for (LayerMode mode : {LayerMode::Flatten, LayerMode::Overlay}) {
        std::string tree = root + (mode == LayerMode::Flatten ? "/flat" : "/overlay");
        REQUIRE(::mkdir(tree.c_str(), 0755) == 0);
        auto r = applyTars(tree, {tar}, mode);
        REQUIRE_MESSAGE(r, r.error().message());
        CHECK(S_ISREG(lstatOf(tree + "/out").st_mode));
        CHECK(contentOf(tree + "/out") == "data");
        CHECK(S_ISLNK(lstatOf(tree + "/f").st_mode));
        CHECK(S_ISDIR(lstatOf(tree + "/d").st_mode));
        CHECK(contentOf(tree + "/d/y") == "y");
        CHECK(contentOf(tree + "/e") == "now a file");
        CHECK(contentOf(tree + "/p") == "p");
        CHECK(lstatOf(tree + "/h2").st_ino == lstatOf(tree + "/h1").st_ino);
    }
    CHECK(contentOf(outside) == "keep");
}

TEST_CASE("the entry-count, size and path-length limits are enforced")
{
    TempDir dir;
    std::string root = dir / "root";
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    ExtractLimits limits;
    limits.maxEntries = 3;
    auto r = applyTars(
        root, {TarBuilder().file("a", "").file("b", "").file("c", "").file("d", "").finish()},
        LayerMode::Flatten, limits);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("more than the limit of 3 entries") != std::string::npos);

    limits = {};
    limits.maxBytes = 10;
    r = applyTars(root, {TarBuilder().file("a", "123456").file("b", "123456").finish()},
                  LayerMode::Flatten, limits);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("10 bytes") != std::string::npos);
    CHECK_MESSAGE(r.error().message().find("entry 'b'") != std::string::npos, r.error().message());
    // A small layer over the byte limit is not a decompression bomb.
    CHECK(r.error().message().find("bomb") == std::string::npos);
}
