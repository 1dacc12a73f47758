#include <berth/trust/fingerprint.hpp>
#include <berth/trust/prefix.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("prefixes walk up the name component by component, longest first")
{
    CHECK(prefixChain("example.com/a/b") ==
          std::vector<std::string>{"example.com/a/b", "example.com/a", "example.com"});
    CHECK(prefixChain("example.com") == std::vector<std::string>{"example.com"});
    CHECK(
        prefixChain("registry:5000/team/app") ==
        std::vector<std::string>{"registry:5000/team/app", "registry:5000/team", "registry:5000"});
    CHECK(prefixChain("").empty());
}

TEST_CASE("a prefix covers its own name and names below it, never a longer sibling")
{
    CHECK(prefixCovers("example.com/app", "example.com/app"));
    CHECK(prefixCovers("example.com/app", "example.com/app/worker"));
    CHECK(prefixCovers("example.com", "example.com/app"));
    CHECK_FALSE(prefixCovers("example.com/app", "example.com/application"));
    CHECK_FALSE(prefixCovers("example.com/app/worker", "example.com/app"));
    CHECK_FALSE(prefixCovers("", "example.com"));
}

TEST_CASE("prefix validation refuses what cannot name an image")
{
    CHECK(validatePrefix("example.com/app"));
    CHECK(validatePrefix("127.0.0.1:5000/team/app"));
    CHECK(validatePrefix("docker.io/library/busybox"));
    CHECK_FALSE(validatePrefix(""));
    CHECK_FALSE(validatePrefix("/example.com"));
    CHECK_FALSE(validatePrefix("example.com/"));
    CHECK_FALSE(validatePrefix("example.com//app"));
    CHECK_FALSE(validatePrefix("example.com/../etc"));
    CHECK_FALSE(validatePrefix("./app"));
    CHECK_FALSE(validatePrefix("example.com/a b"));
    CHECK_FALSE(validatePrefix("example.com/\n"));
    CHECK_FALSE(validatePrefix("https://example.com/app"));
    CHECK_FALSE(validatePrefix(std::string(201, 'a')));
    CHECK(validatePrefix(std::string(200, 'a')));
}

TEST_CASE("escaped prefixes are one safe directory name and unescape to the same prefix")
{
    CHECK(escapePrefix("example.com") == "example.com");
    CHECK(escapePrefix("example.com/app") == "example.com%2Fapp");
    CHECK(escapePrefix("127.0.0.1:5000/a") == "127.0.0.1%3A5000%2Fa");
    CHECK(escapePrefix("a%2Fb") == "a%252Fb"); // '%' itself is escaped: injective
    CHECK(escapePrefix(".hidden/x") == "%2Ehidden%2Fx");
    CHECK(escapePrefix("a/..b") == "a%2F..b");

    const char* samples[] = {"example.com", "example.com/app", "a%2Fb",   "a/b",    ".hidden/x",
                             "x/.y",        "h:1/p~q+r@s",     "A-Z_0.9", "a/%2F/b"};
    for (const char* sample : samples) {
        std::string escaped = escapePrefix(sample);
        CAPTURE(sample);
        CHECK(escaped.find('/') == std::string::npos);
        CHECK(escaped != ".");
        CHECK(escaped != "..");
        CHECK(escaped[0] != '.');
        auto back = unescapePrefix(escaped);
        REQUIRE(back);
        CHECK(*back == sample);
    }
    // Distinct prefixes never share a directory.
    CHECK(escapePrefix("a/b") != escapePrefix("a%2Fb"));
    CHECK(escapePrefix("a/b") != escapePrefix("a:b"));
}

TEST_CASE("only canonical escapes are prefix directories")
{
    CHECK_FALSE(unescapePrefix("example.com%2fapp")); // lowercase hex
    CHECK_FALSE(unescapePrefix("example%2Ecom"));     // escaped a byte that needs none
    CHECK_FALSE(unescapePrefix(".."));                // leading dot unescaped
    CHECK_FALSE(unescapePrefix("."));
    CHECK_FALSE(unescapePrefix("a%2"));      // truncated
    CHECK_FALSE(unescapePrefix("a%"));       // truncated
    CHECK_FALSE(unescapePrefix("a b"));      // unescaped byte
    CHECK_FALSE(unescapePrefix("a%2F%2Fb")); // decodes to an invalid prefix
    CHECK_FALSE(unescapePrefix("%2E%2E"));   // decodes to ".."
    CHECK_FALSE(unescapePrefix(""));
    CHECK(unescapePrefix("%2Eb"));
}

TEST_CASE("fingerprints are normalized the way key files are named")
{
    auto fpr = normalizeFingerprint("0CCA D371 6D4C 9251 47A7  5E03 432A 20A7 E770 F38B");
    REQUIRE(fpr);
    CHECK(*fpr == "0ccad3716d4c925147a75e03432a20a7e770f38b");
    CHECK(normalizeFingerprint("0x0CCAD3716D4C925147A75E03432A20A7E770F38B"));
    CHECK_FALSE(normalizeFingerprint("432A20A7E770F38B")); // a key id is not a fingerprint
    CHECK_FALSE(normalizeFingerprint("zz"));
    CHECK_FALSE(normalizeFingerprint("../../etc/passwd"));
    CHECK(isNormalFingerprint("0ccad3716d4c925147a75e03432a20a7e770f38b"));
    CHECK_FALSE(isNormalFingerprint("0CCAD3716D4C925147A75E03432A20A7E770F38B"));
}
