#include <berth/base/file.hpp>
#include <berth/trust/lookaside.hpp>
#include <cstdlib>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

Digest digest()
{
    return Hasher::hash(DigestAlgorithm::Sha256, "manifest");
}

} // namespace

TEST_CASE("registries.d gives the most specific lookaside for a repository")
{
    LookasideConfig config;
    REQUIRE(parseRegistriesYaml(R"(
default-docker:
  lookaside: https://sigs.example.com/default
docker:
  registry.example.com:
    lookaside: https://sigs.example.com/registry
  registry.example.com/team:
    sigstore: file:///var/lib/sigs/team
  other.example.com/x:
    lookaside-staging: file:///staging
)",
                                "test.yaml", config));
    CHECK(*lookasideFor(config, "registry.example.com/team/app") == "file:///var/lib/sigs/team");
    CHECK(*lookasideFor(config, "registry.example.com/teamwork/app") ==
          "https://sigs.example.com/registry");
    CHECK(*lookasideFor(config, "docker.io/library/busybox") == "https://sigs.example.com/default");
    CHECK(*lookasideFor(config, "other.example.com/x") == "https://sigs.example.com/default");

    LookasideConfig empty;
    CHECK_FALSE(lookasideFor(empty, "docker.io/library/busybox"));
}

TEST_CASE("a scope configured twice, or malformed YAML, is an error")
{
    LookasideConfig config;
    REQUIRE(parseRegistriesYaml("docker:\n  a.b/c:\n    lookaside: file:///x\n", "1.yaml", config));
    CHECK_FALSE(
        parseRegistriesYaml("docker:\n  a.b/c:\n    lookaside: file:///y\n", "2.yaml", config));
    LookasideConfig other;
    CHECK_FALSE(parseRegistriesYaml("docker: [unclosed", "bad.yaml", other));
    CHECK(parseRegistriesYaml("", "empty.yaml", other));
}

TEST_CASE("YAML aliases that expand without bound are refused")
{
    // Found by the registries_d fuzzer: each level names the one below
    // twice, so a few lines expand exponentially ("billion laughs"); 32
    // levels hung berth. 15 levels (32768 nodes) are enough to refuse.
    std::string yaml = "l0: &l0 [x, x]\n";
    for (int i = 1; i < 15; ++i)
        yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" +
                std::to_string(i - 1) + ", *l" + std::to_string(i - 1) + "]\n";
    yaml += "default-docker: {lookaside: https://sigs.example.com}\n";
    LookasideConfig config;
    auto parsed = parseRegistriesYaml(yaml, "laughs.yaml", config);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message().find("YAML nodes") != std::string::npos);
}

TEST_CASE("signature URLs follow the containers lookaside layout")
{
    CHECK(lookasideSignatureUrl("https://s.example.com/sigs/", "registry.example.com/team/app",
                                digest(), 2) ==
          "https://s.example.com/sigs/team/app@sha256=" + digest().hex() + "/signature-2");
}

TEST_CASE("a file lookaside is read from signature-1 until one is missing")
{
    char tmpl[] = "/tmp/berth-lookaside-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    std::string dir = tmpl;
    std::string sigDir = dir + "/team/app@sha256=" + digest().hex();
    REQUIRE(makeDirectories(sigDir));
    REQUIRE(writeFileAtomic(sigDir + "/signature-1", "one"));
    REQUIRE(writeFileAtomic(sigDir + "/signature-2", "two"));
    REQUIRE(writeFileAtomic(sigDir + "/signature-4", "after a gap: not read"));
    auto signatures = readFileLookaside("file://" + dir, "h.example.com/team/app", digest());
    REQUIRE(signatures);
    CHECK(*signatures == std::vector<std::string>{"one", "two"});
    CHECK(readFileLookaside("file://" + dir, "h.example.com/none", digest())->empty());

    REQUIRE(makeDirectories(dir + "/registries.d"));
    REQUIRE(writeFileAtomic(dir + "/registries.d/a.yaml",
                            "docker:\n  h.example.com/team:\n    lookaside: file://" + dir + "\n"));
    REQUIRE(writeFileAtomic(dir + "/registries.d/ignored.txt", "not yaml: ["));
    auto config = readRegistriesDirectory(dir + "/registries.d");
    REQUIRE(config);
    CHECK(*lookasideFor(*config, "h.example.com/team/app") == "file://" + dir);
    CHECK(readRegistriesDirectory(dir + "/missing")->scopes.empty());
    (void)removeTree(dir);
}
