#include <berth/stage/subordinate_ranges.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("a user's ranges are found by name and by uid, in file order")
{
    std::string text = "alice:100000:65536\n"
                       "bob:165536:65536\n"
                       "1001:300000:1000\n"
                       "alice:500000:10\n";
    auto ranges = parseSubordinateFile(text, "alice", 1001);
    REQUIRE(ranges.size() == 3);
    CHECK(ranges[0].start == 100000);
    CHECK(ranges[0].count == 65536);
    CHECK(ranges[1].start == 300000);
    CHECK(ranges[1].count == 1000);
    CHECK(ranges[2].start == 500000);
    CHECK(ranges[2].count == 10);
}

TEST_CASE("malformed lines and other users are skipped")
{
    std::string text = "# a comment\n"
                       "\n"
                       "alice:100000\n"
                       "alice:x:5\n"
                       "alice:7:-1\n"
                       "alice:7:5 \n"
                       "alicex:1:1\n"
                       "xalice:2:2\n"
                       "alice:200000:65536"; // no final newline
    auto ranges = parseSubordinateFile(text, "alice", 4242);
    REQUIRE(ranges.size() == 1);
    CHECK(ranges[0].start == 200000);
    CHECK(ranges[0].count == 65536);
}

TEST_CASE("a user with no line has no ranges")
{
    CHECK(parseSubordinateFile("bob:1:2\n", "alice", 1000).empty());
    CHECK(parseSubordinateFile("", "alice", 1000).empty());
}
