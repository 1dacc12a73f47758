#include <berth/base/printable.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("printable leaves ordinary text and UTF-8 letters alone")
{
    CHECK(printable("docker.io/library/busybox:1.36") == "docker.io/library/busybox:1.36");
    CHECK(printable("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac") ==
          "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
}

TEST_CASE("printable escapes what would move or rewrite the terminal")
{
    CHECK(printable("a\x1b[2Jb") == "a\\e[2Jb");
    CHECK(printable("line\nnext\rover\b") == "line\\nnext\\rover\\x08");
    CHECK(printable("tab\there") == "tab\\there");
    CHECK(printable("del\x7f") == "del\\x7f");
    CHECK(printable("back\\slash") == "back\\\\slash");
    // CSI as a C1 control encoded in UTF-8.
    CHECK(printable("\xc2\x9b"
                    "2J") == "\\u009b2J");
    // A right-to-left override hides what follows.
    CHECK(printable("a\xe2\x80\xae"
                    "b") == "a\\u202eb");
}

TEST_CASE("printable writes invalid UTF-8 byte by byte")
{
    CHECK(printable("\xff\xfe") == "\\xff\\xfe");
    CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // surrogate
    CHECK(printable("\xe6\x97") == "\\xe6\\x97");          // truncated
    CHECK(printable(std::string_view("a\0b", 3)) == "a\\x00b");
}

TEST_CASE("isValidUtf8 accepts UTF-8 and refuses everything else")
{
    CHECK(isValidUtf8(""));
    CHECK(isValidUtf8("plain"));
    CHECK(isValidUtf8("\xf0\x9f\x90\xb3"));
    CHECK_FALSE(isValidUtf8("\xff\xfe"));
    CHECK_FALSE(isValidUtf8("\xf4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(isValidUtf8("\xe0\x80\xaf"));     // overlong
    CHECK_FALSE(isValidUtf8("\xc3"));
}

TEST_CASE("isPlainText refuses what printable would escape, backslashes aside")
{
    CHECK(isPlainText(""));
    CHECK(isPlainText("name-1.0"));
    CHECK(isPlainText("caf\xc3\xa9 \\ back"));
    CHECK_FALSE(isPlainText("a\nb"));
    CHECK_FALSE(isPlainText("a\x1b[2J"));
    CHECK_FALSE(isPlainText("a\x7f"));
    CHECK_FALSE(isPlainText("\xc2\x9b"));     // CSI
    CHECK_FALSE(isPlainText("\xe2\x80\xae")); // right-to-left override
    CHECK_FALSE(isPlainText("\xff"));
}
