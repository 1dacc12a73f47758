#include <berth/run/volumes.hpp>
#include <doctest/doctest.h>
#include <sys/mount.h>

using namespace berth;

TEST_CASE("-v SRC:DST[:ro]")
{
    auto rw = parseBindVolume("/srv/data:/data");
    REQUIRE(rw);
    CHECK(rw->source == "/srv/data");
    CHECK(rw->destination == "/data");
    CHECK(!rw->readOnly);
    auto ro = parseBindVolume("/srv:/mnt//x/:ro");
    REQUIRE(ro);
    CHECK(ro->destination == "/mnt/x");
    CHECK(ro->readOnly);
}

TEST_CASE("bad -v specs are refused")
{
    CHECK(!parseBindVolume("relative:/data"));
    CHECK(!parseBindVolume("/a:relative"));
    CHECK(!parseBindVolume("/a:/b/../c"));
    CHECK(!parseBindVolume("/a:/b:bogus"));
    CHECK(!parseBindVolume("/a"));
}

TEST_CASE("--tmpfs DST[:opts] separates flags from filesystem options")
{
    auto t = parseTmpfsVolume("/scratch:size=10m,noexec,mode=700");
    REQUIRE(t);
    CHECK(t->destination == "/scratch");
    CHECK(t->data == "size=10m,mode=700");
    CHECK((t->flags & MS_NOEXEC) != 0);
    CHECK(parseTmpfsVolume("/x")->data == "mode=1777");
    CHECK(!parseTmpfsVolume("/x:suid"));
}

TEST_CASE("a duplicate destination is an error naming it")
{
    std::vector<MountOp> mounts{*parseBindVolume("/a:/data"), *parseTmpfsVolume("/data/")};
    auto r = checkDuplicateDestinations(mounts);
    REQUIRE(!r);
    CHECK(r.error().message().find("'/data'") != std::string::npos);
}
