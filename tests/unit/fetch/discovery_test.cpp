#include <berth/fetch/discovery.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("appc names take a version and labels")
{
    auto a = parseAppName("example.com/app:1.0,os=linux,arch=amd64");
    REQUIRE(a);
    CHECK(a->name == "example.com/app");
    CHECK(a->labels.at("version") == "1.0");
    CHECK(a->labels.at("os") == "linux");
    CHECK(a->labels.at("arch") == "amd64");

    auto bare = parseAppName("example.com/a/b");
    REQUIRE(bare);
    CHECK(bare->labels.empty());

    auto port = parseAppName("example.com/app,version=2");
    REQUIRE(port);
    CHECK(port->labels.at("version") == "2");

    CHECK_FALSE(parseAppName("Example.com/app"));
    CHECK_FALSE(parseAppName("example.com/app:"));
    CHECK_FALSE(parseAppName("example.com/app,novalue"));
    CHECK_FALSE(parseAppName("example.com//app"));
    CHECK_FALSE(parseAppName("example.com/app,BAD=x"));
}

TEST_CASE("only dotted names are discovered; IDs and local names are not")
{
    CHECK(isDiscoverableName("example.com/app:1.0"));
    CHECK(isDiscoverableName("coreos.com/etcd"));
    CHECK_FALSE(isDiscoverableName("busybox"));
    CHECK_FALSE(isDiscoverableName("localhost/busybox:latest"));
    CHECK_FALSE(isDiscoverableName("sha256:abcd"));
    CHECK_FALSE(isDiscoverableName("sha512-abcd"));
}

TEST_CASE("meta tags are read whatever the attribute order, quoting and case")
{
    std::string html = R"(<!DOCTYPE html><html><head>
      <meta name="ac-discovery" content="example.com https://example.com/images/{name}-{version}-{os}-{arch}.{ext}">
      <META content='example.com/app https://cdn.example.com/{name}/{version}.{ext}' NAME='ac-discovery'>
      <meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg"/>
      <meta name="description" content="not this">
      <meta name="ac-discovery" content="onlyprefix">
      </head></html>)";
    DiscoveryPage page = parseDiscoveryPage(html);
    REQUIRE(page.templates.size() == 2);
    CHECK(page.templates[0].prefix == "example.com");
    CHECK(page.templates[0].value ==
          "https://example.com/images/{name}-{version}-{os}-{arch}.{ext}");
    CHECK(page.templates[1].prefix == "example.com/app");
    CHECK(page.templates[1].value == "https://cdn.example.com/{name}/{version}.{ext}");
    REQUIRE(page.pubkeys.size() == 1);
    CHECK(page.pubkeys[0].value == "https://example.com/pubkeys.gpg");
    CHECK(parseDiscoveryPage("<meta name=ac-discovery").templates.empty());
}

TEST_CASE("templates render every variable or do not apply")
{
    std::map<std::string, std::string> vars{
        {"name", "example.com/app"}, {"version", "1.0"}, {"os", "linux"},
        {"arch", "amd64"},           {"ext", "aci"},     {"channel", "beta"}};
    CHECK(renderTemplate("https://h/{name}-{version}-{os}-{arch}.{ext}", vars).value() ==
          "https://h/example.com/app-1.0-linux-amd64.aci");
    CHECK(renderTemplate("https://h/{channel}/{name}.{ext}", vars).value() ==
          "https://h/beta/example.com/app.aci");
    CHECK_FALSE(renderTemplate("https://h/{missing}.{ext}", vars));
    CHECK_FALSE(renderTemplate("https://h/{name", vars));
    CHECK(renderTemplate("plain", vars).value() == "plain");
}
