#include <berth/image/image_name.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("docker-archive RepoTags follow the registry's reference grammar")
{
    for (const char* good :
         {"busybox", "busybox:latest", "localhost/busybox:1.36",
          "example.com:5000/ns/app:v1.0-rc_1", "docker.io/library/debian:bookworm",
          "a__b/c--d/e.f:TAG", "Registry.Example.com/app"})
        CHECK_MESSAGE(isValidDockerRepoTag(good), good);
    for (const char* bad :
         {"", "Busybox:latest", "app:", "app:-x", "app:.x", "/app", "app/", "a//b", "app:tag:tag",
          "evil\x1b[2J:latest", "app\n:latest", "app:la test", "ex ample.com/app", "a..b", "-a",
          "a_", "a___b", "example.com:port/app"})
        CHECK_FALSE_MESSAGE(isValidDockerRepoTag(bad), bad);
    CHECK(isValidDockerRepoTag("app:" + std::string(128, 't')));
    CHECK_FALSE(isValidDockerRepoTag("app:" + std::string(129, 't')));
    CHECK_FALSE(isValidDockerRepoTag(std::string(256, 'a')));
}

TEST_CASE("OCI ref.name annotations follow the image spec's grammar")
{
    for (const char* good :
         {"latest", "v1.0", "1.0+build.5", "example.com/app:1.0", "a--b", "a@b", "Upper/Case"})
        CHECK_MESSAGE(isValidOciRefName(good), good);
    for (const char* bad : {"", "-x", "x-", "a---b", "a..b", "a/", "/a", "a//b", "a b", "latest\n",
                            "a\x1b", "a_b_", "caf\xc3\xa9"})
        CHECK_FALSE_MESSAGE(isValidOciRefName(bad), bad);
}

TEST_CASE("stored names and tags hold no control characters")
{
    CHECK(checkStoredName("localhost:5000/app", "1.0", "x"));
    CHECK(checkStoredName("example.com/caf\xc3\xa9", "latest", "x"));
    CHECK_FALSE(checkStoredName("", "latest", "x"));
    CHECK_FALSE(checkStoredName("app\x1b[2J", "latest", "x"));
    CHECK_FALSE(checkStoredName("app\xff", "latest", "x"));
    CHECK_FALSE(checkStoredName("app", "1\n2", "x"));
    CHECK_FALSE(checkStoredName("app", "a/b", "x"));
    CHECK_FALSE(checkStoredName("app", "\xe2\x80\xae", "x"));
    auto refused = checkStoredName("app", "v\x1b", "docker-archive");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("docker-archive: tag") == 0);
}
