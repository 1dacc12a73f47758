#include <berth/base/base64.hpp>
#include <berth/base/file.hpp>
#include <berth/fetch/credential_helper.hpp>
#include <berth/fetch/credentials.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

TEST_CASE("credentials are found by host, by URL key and by the longest repository prefix")
{
    std::string json = R"({
      "auths": {
        "reg.example:5000": {"auth": ")" +
                       encodeBase64("alice:secret") + R"("},
        "https://index.docker.io/v1/": {"auth": ")" +
                       encodeBase64("bob:pw") + R"("},
        "reg.example:5000/team": {"auth": ")" +
                       encodeBase64("team:tpw") + R"("},
        "helper.example": {}
      },
      "credHelpers": {"x": "y"}
    })";
    auto a = findCredentialIn(json, "reg.example:5000", "other/app");
    REQUIRE(a);
    REQUIRE(*a);
    CHECK((*a)->username == "alice");
    CHECK((*a)->password == "secret");

    auto team = findCredentialIn(json, "reg.example:5000", "team/app");
    REQUIRE(team);
    REQUIRE(*team);
    CHECK((*team)->username == "team");

    auto hub = findCredentialIn(json, "index.docker.io", "library/busybox");
    REQUIRE(hub);
    REQUIRE(*hub);
    CHECK((*hub)->username == "bob");

    auto none = findCredentialIn(json, "helper.example", "a");
    REQUIRE(none);
    CHECK_FALSE(*none);
    auto other = findCredentialIn(json, "reg.example", "a");
    REQUIRE(other);
    CHECK_FALSE(*other);

    CHECK_FALSE(findCredentialIn("{\"auths\": []}", "a", "b"));
    CHECK_FALSE(findCredentialIn("{\"auths\": {\"a\": {\"auth\": \"bm9jb2xvbg==\"}}}", "a", "b"));
    auto empty = findCredentialIn("", "a", "b");
    REQUIRE(empty);
    CHECK_FALSE(*empty);
}

TEST_CASE("login and logout edit auth.json keeping other keys, mode 0600")
{
    char dirTemplate[] = "/tmp/berth-cred-XXXXXX";
    REQUIRE(::mkdtemp(dirTemplate));
    std::string dir = dirTemplate;
    std::string file = dir + "/sub/auth.json";
    REQUIRE(writeFileAtomic(
        dir + "/seed.json",
        R"({"auths": {"https://reg.example:5000/v1/": {"auth": "eDp5"}}, "credHelpers": {"k": "v"}})"));
    REQUIRE(makeDirectories(dir + "/sub"));
    auto seed = readFile(dir + "/seed.json");
    REQUIRE(seed);
    REQUIRE(writeFileAtomic(file, *seed));

    REQUIRE(storeCredential(file, "reg.example:5000", "alice", "s3cret"));
    struct stat st;
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto text = readFile(file);
    REQUIRE(text);
    CHECK(text->find("credHelpers") != std::string::npos);
    // The Docker-style URL key of the same registry was replaced, not kept.
    CHECK(text->find("https://reg.example:5000/v1/") == std::string::npos);
    auto found = findCredential({dir + "/missing.json", file}, "reg.example:5000", "x/y");
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->password == "s3cret");
    CHECK((*found)->source == file);

    auto removed = removeCredential(file, "reg.example:5000");
    REQUIRE(removed);
    CHECK(*removed);
    auto again = removeCredential(file, "reg.example:5000");
    REQUIRE(again);
    CHECK_FALSE(*again);
    auto gone = findCredential({file}, "reg.example:5000", "x/y");
    REQUIRE(gone);
    CHECK_FALSE(*gone);
    auto missing = removeCredential(dir + "/none.json", "reg.example:5000");
    REQUIRE(missing);
    CHECK_FALSE(*missing);
    REQUIRE(removeTree(dir));
}

TEST_CASE("credential files follow XDG_RUNTIME_DIR, XDG_CONFIG_HOME and HOME")
{
    ::setenv("XDG_RUNTIME_DIR", "/run/user/1", 1);
    ::setenv("HOME", "/home/u", 1);
    ::unsetenv("XDG_CONFIG_HOME");
    auto files = credentialFiles();
    REQUIRE(files.size() == 3);
    CHECK(files[0] == "/run/user/1/containers/auth.json");
    CHECK(files[1] == "/home/u/.config/containers/auth.json");
    CHECK(files[2] == "/home/u/.docker/config.json");
    CHECK(defaultAuthFile() == "/run/user/1/containers/auth.json");
    ::unsetenv("XDG_RUNTIME_DIR");
    CHECK(defaultAuthFile() == "/home/u/.config/containers/auth.json");
}

TEST_CASE("credHelpers for the registry, then an auths entry, then credsStore")
{
    std::string json = R"({
      "auths": {"plain.example": {"auth": ")" +
                       encodeBase64("carol:pw") + R"("}, "stored.example": {}},
      "credHelpers": {"helped.example:5000": "secretservice", "https://url.example/v1/": "pass"},
      "credsStore": "desktop"
    })";
    auto helped = findCredentialIn(json, "helped.example:5000", "a/b");
    REQUIRE(helped);
    REQUIRE(*helped);
    CHECK((*helped)->helper == "secretservice");
    CHECK((*helped)->username.empty());
    auto url = findCredentialIn(json, "url.example", "a");
    REQUIRE(url);
    REQUIRE(*url);
    CHECK((*url)->helper == "pass");
    auto plain = findCredentialIn(json, "plain.example", "a");
    REQUIRE(plain);
    REQUIRE(*plain);
    CHECK((*plain)->helper.empty());
    CHECK((*plain)->username == "carol");
    // An auths entry without "auth" is how Docker marks a registry whose
    // credentials the store holds.
    auto stored = findCredentialIn(json, "stored.example", "a");
    REQUIRE(stored);
    REQUIRE(*stored);
    CHECK((*stored)->helper == "desktop");
    auto other = findCredentialIn(R"({"credsStore": "desktop"})", "any.example", "a");
    REQUIRE(other);
    REQUIRE(*other);
    CHECK((*other)->helper == "desktop");

    // A helper name that is a path would run something other than a helper.
    CHECK_FALSE(findCredentialIn(R"({"credsStore": "../../bin/sh"})", "a", "b"));
    CHECK_FALSE(findCredentialIn(R"({"credHelpers": {"a": 3}})", "a", "b"));
    CHECK_FALSE(findCredentialIn(R"({"credHelpers": []})", "a", "b"));
}

TEST_CASE("a credential helper's answer is read strictly")
{
    auto good = parseCredentialHelperOutput(
        R"({"ServerURL": "r.example", "Username": "dave", "Secret": "tok"})",
        "docker-credential-x");
    REQUIRE(good);
    CHECK(good->username == "dave");
    CHECK(good->password == "tok");
    CHECK_FALSE(parseCredentialHelperOutput("not json", "docker-credential-x"));
    CHECK_FALSE(parseCredentialHelperOutput("[]", "docker-credential-x"));
    CHECK_FALSE(parseCredentialHelperOutput(R"({"Username": 1})", "docker-credential-x"));
    CHECK_FALSE(parseCredentialHelperOutput(R"({"ServerURL": "x"})", "docker-credential-x"));
    CHECK(credentialHelperProgram("pass").value() == "docker-credential-pass");
    CHECK_FALSE(credentialHelperProgram(""));
    CHECK_FALSE(credentialHelperProgram("a/b"));
}

TEST_CASE("a missing credential helper is one error naming it")
{
    auto r = runCredentialHelper("berth-test-no-such-helper", "r.example");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("docker-credential-berth-test-no-such-helper") !=
          std::string::npos);
}

TEST_CASE("an auth entry wrapped by the base64 tool is read; one that is not base64 is refused")
{
    std::string user(40, 'u'), password(40, 'p');
    std::string encoded = encodeBase64(user + ":" + password);
    REQUIRE(encoded.size() > 76);
    // As `base64` writes it: a line break after 76 columns, here as JSON's \n.
    std::string wrapped = encoded.substr(0, 76) + "\\n" + encoded.substr(76);
    auto found = findCredentialIn(R"({"auths": {"reg.example": {"auth": ")" + wrapped + R"("}}})",
                                  "reg.example", "app");
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->username == user);
    CHECK((*found)->password == password);

    auto bad = findCredentialIn(R"({"auths": {"reg.example": {"auth": "not base64!"}}})",
                                "reg.example", "app");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("auth entry 'reg.example'") != std::string::npos);
}
