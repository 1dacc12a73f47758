#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/registry_login.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("docker references split into registry, repository, tag and digest")
{
    auto r = parseDockerReference("docker://127.0.0.1:5000/test/busybox:1.36");
    REQUIRE(r);
    CHECK(r->registry == "127.0.0.1:5000");
    CHECK(r->repository == "test/busybox");
    CHECK(r->tag == "1.36");
    CHECK_FALSE(r->digest);
    CHECK(r->manifestReference() == "1.36");
    CHECK(r->name() == "127.0.0.1:5000/test/busybox");

    auto latest = parseDockerReference("localhost/busybox");
    REQUIRE(latest);
    CHECK(latest->tag == "latest");

    std::string hex(64, 'a');
    auto pinned = parseDockerReference("docker://reg.example/app@sha256:" + hex);
    REQUIRE(pinned);
    CHECK(pinned->tag.empty());
    REQUIRE(pinned->digest);
    CHECK(pinned->manifestReference() == "sha256:" + hex);
    CHECK(pinned->str() == "reg.example/app@sha256:" + hex);

    auto both = parseDockerReference("reg.example:443/a/b:v1@sha256:" + hex);
    REQUIRE(both);
    CHECK(both->tag == "v1");
    CHECK(both->registry == "reg.example:443");
}

TEST_CASE("bad docker references are refused before any network use")
{
    CHECK_FALSE(parseDockerReference("docker://busybox"));           // no host
    CHECK_FALSE(parseDockerReference("docker://library/busybox"));   // no registry host
    CHECK_FALSE(parseDockerReference("docker://reg.example/"));      // no repository
    CHECK_FALSE(parseDockerReference("docker://reg.example/Upper")); // uppercase
    CHECK_FALSE(parseDockerReference("docker://reg.example/a/../b"));
    CHECK_FALSE(parseDockerReference("docker://reg.example/a:bad/tag"));
    CHECK_FALSE(parseDockerReference("docker://reg.example/a@sha256:short"));
    CHECK_FALSE(parseDockerReference("docker://reg.example/a?x=1"));
    CHECK_FALSE(parseDockerReference("docker://reg.example/a:" + std::string(129, 't')));
}

TEST_CASE("registry names for login are normalised")
{
    CHECK(normaliseRegistryName("docker://Reg.Example:5000/a/b").value() == "reg.example:5000");
    CHECK(normaliseRegistryName("https://reg.example/").value() == "reg.example");
    CHECK(normaliseRegistryName("127.0.0.1:5000").value() == "127.0.0.1:5000");
    CHECK_FALSE(normaliseRegistryName(""));
    CHECK_FALSE(normaliseRegistryName("a b"));
}
