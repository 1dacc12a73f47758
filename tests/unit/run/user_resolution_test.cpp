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

namespace
{
IdMap subordinateMap()
{
    IdMap map;
    map.kind = IdMap::Kind::Subordinate;
    map.uids = {{0, 1000, 1}, {1, 100000, 65536}};
    map.gids = {{0, 1000, 1}, {1, 100000, 65536}};
    return map;
}

IdMap singleMap()
{
    IdMap map;
    map.kind = IdMap::Kind::Single;
    map.uids = {{0, 1000, 1}};
    map.gids = {{0, 1000, 1}};
    return map;
}
} // namespace

TEST_CASE("4294967295 is never an app's id: the kernel reads it as 'no change'")
{
    IdMap identity;
    identity.kind = IdMap::Kind::Identity;
    for (const IdMap& map : {subordinateMap(), singleMap(), identity}) {
        auto uid = checkAppIds(4294967295u, 0, {}, map);
        REQUIRE_FALSE(uid);
        CHECK(uid.error().message().find("uid 4294967295") != std::string::npos);
        auto gid = checkAppIds(0, 4294967295u, {}, map);
        REQUIRE_FALSE(gid);
        CHECK(gid.error().message().find("gid 4294967295") != std::string::npos);
    }
    // It resolves as a number like any other: the check is what refuses it.
    auto u = resolveUser("4294967295:4294967295", kPasswd, kGroup);
    REQUIRE(u);
    CHECK_FALSE(checkAppIds(u->uid, u->gid, u->supplementaryGids, subordinateMap()));
}

TEST_CASE("ids outside the pod's id map are refused, naming the id and the map")
{
    IdMap map = subordinateMap();
    CHECK(checkAppIds(0, 0, {}, map));
    CHECK(checkAppIds(65536, 65536, {65536}, map));
    auto uid = checkAppIds(65537, 0, {}, map);
    REQUIRE_FALSE(uid);
    CHECK(uid.error().message() == "uid 65537 is not mapped in the pod's user namespace, which has "
                                   "uids 0-65536 (ask for more in /etc/subuid, or choose another "
                                   "user)");
    auto group = checkAppIds(0, 0, {50, 70000}, map);
    REQUIRE_FALSE(group);
    CHECK(group.error().message().find("gid 70000") != std::string::npos);
}

TEST_CASE("a single-id map has only root; its supplementary groups are dropped, not checked")
{
    IdMap map = singleMap();
    CHECK(checkAppIds(0, 0, {50, 100}, map));
    auto uid = checkAppIds(33, 0, {}, map);
    REQUIRE_FALSE(uid);
    CHECK(uid.error().message().find("uid 33 is not mapped") != std::string::npos);
    CHECK(uid.error().message().find("uids 0 only") != std::string::npos);
    CHECK_FALSE(checkAppIds(0, 33, {}, map));
}

TEST_CASE("keep-id: the user's own id and the ranges around it are mapped, nothing else")
{
    IdMap map;
    map.kind = IdMap::Kind::KeepId;
    map.uids = {{0, 100000, 1000}, {1000, 1000, 1}, {1001, 101000, 64536}};
    map.gids = map.uids;
    CHECK(checkAppIds(1000, 1000, {}, map));
    CHECK(checkAppIds(65536, 0, {}, map));
    auto uid = checkAppIds(65537, 0, {}, map);
    REQUIRE_FALSE(uid);
    CHECK(uid.error().message().find("uids 0-65536") != std::string::npos);
}
