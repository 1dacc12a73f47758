#include <berth/run/user_resolution.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{
const char* kPasswd = "root:x:0:0:root:/root:/bin/sh\n"
                      "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                      "broken line\n"
                      "nohome:x:1000:1000:::/bin/sh\n";
const char* kGroup = "root:x:0:\nwww-data:x:33:\nstaff:x:50:www-data,other\nusers:x:100:www-data\n";
} // namespace

TEST_CASE("no user means root with root's home")
{
    auto u = resolveUser("", kPasswd, kGroup);
    REQUIRE(u);
    CHECK(u->uid == 0);
    CHECK(u->gid == 0);
    CHECK(u->home == "/root");
}

TEST_CASE("a name resolves to its uid, gid, home and supplementary groups")
{
    auto u = resolveUser("www-data", kPasswd, kGroup);
    REQUIRE(u);
    CHECK(u->uid == 33);
    CHECK(u->gid == 33);
    CHECK(u->home == "/var/www");
    CHECK(u->supplementaryGids == std::vector<uint32_t>{50, 100});
}

TEST_CASE("a number the image names gets that entry; an unknown one gets gid 0 and HOME /")
{
    auto named = resolveUser("33", kPasswd, kGroup);
    REQUIRE(named);
    CHECK(named->gid == 33);
    CHECK(named->home == "/var/www");
    auto unknown = resolveUser("4242", kPasswd, kGroup);
    REQUIRE(unknown);
    CHECK(unknown->uid == 4242);
    CHECK(unknown->gid == 0);
    CHECK(unknown->home == "/");
}

TEST_CASE("HOME is never empty")
{
    auto u = resolveUser("nohome", kPasswd, kGroup);
    REQUIRE(u);
    CHECK(u->home == "/");
}

TEST_CASE("user:group with names and numbers")
{
    auto byName = resolveUser("www-data:staff", kPasswd, kGroup);
    REQUIRE(byName);
    CHECK(byName->gid == 50);
    auto byNumber = resolveUser("33:7", kPasswd, kGroup);
    REQUIRE(byNumber);
    CHECK(byNumber->gid == 7);
}

TEST_CASE("unknown names are errors naming the file")
{
    auto u = resolveUser("nobody", kPasswd, kGroup);
    REQUIRE(!u);
    CHECK(u.error().message().find("/etc/passwd") != std::string::npos);
    auto g = resolveUser("root:nogroup", kPasswd, kGroup);
    REQUIRE(!g);
    CHECK(g.error().message().find("/etc/group") != std::string::npos);
}
