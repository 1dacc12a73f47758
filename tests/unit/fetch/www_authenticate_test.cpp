#include <berth/fetch/www_authenticate.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("a Docker Hub style Bearer challenge gives realm, service and scope")
{
    auto c = parseWwwAuthenticate(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].scheme == "bearer");
    CHECK(c[0].param("realm") == "https://auth.docker.io/token");
    CHECK(c[0].param("service") == "registry.docker.io");
    CHECK(c[0].param("scope") == "repository:library/busybox:pull");
}

TEST_CASE("spacing, case, unquoted values and escapes are accepted")
{
    auto c = parseWwwAuthenticate(
        R"(  BEARER   Realm = "https://a/t?x=1" ,  service=reg.example ,scope="repository:a/b:pull,push", error="invalid \"token\"")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].scheme == "bearer");
    CHECK(c[0].param("realm") == "https://a/t?x=1");
    CHECK(c[0].param("service") == "reg.example");
    // A comma inside a quoted value does not split it.
    CHECK(c[0].param("scope") == "repository:a/b:pull,push");
    CHECK(c[0].param("error") == "invalid \"token\"");
}

TEST_CASE("several challenges in one header are told apart")
{
    auto c = parseWwwAuthenticate(
        R"(Basic realm="Registry Realm", Bearer realm="https://t/x",service=s)");
    REQUIRE(c.size() == 2);
    CHECK(c[0].scheme == "basic");
    CHECK(c[0].param("realm") == "Registry Realm");
    CHECK(c[1].scheme == "bearer");
    CHECK(c[1].param("realm") == "https://t/x");
    CHECK(c[1].param("service") == "s");
}

TEST_CASE("a bare scheme, token68 and a malformed tail do not break parsing")
{
    auto bare = parseWwwAuthenticate("Negotiate");
    REQUIRE(bare.size() == 1);
    CHECK(bare[0].scheme == "negotiate");
    CHECK(bare[0].params.empty());

    auto unterminated = parseWwwAuthenticate(R"(Bearer realm="https://t/x",service="oops)");
    REQUIRE(unterminated.size() == 1);
    CHECK(unterminated[0].param("realm") == "https://t/x");
    CHECK(unterminated[0].param("service") == "oops");

    CHECK(parseWwwAuthenticate("").empty());
    CHECK(parseWwwAuthenticate(" , ,").empty());
    CHECK(parseWwwAuthenticate("=\"x\"").empty());
}
