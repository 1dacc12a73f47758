#include <berth/run/seccomp_filter.hpp>
#include <cstring>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("the default seccomp program is what libseccomp compiles from berth's lists now")
{
    // The build embeds the program; a change of the lists or of libseccomp
    // since then shows here.
    auto built = buildDefaultSeccompProgram();
    auto compiled = compileDefaultSeccompProgram();
    REQUIRE(built);
    REQUIRE(compiled);
    REQUIRE(built->instructions.size() == compiled->instructions.size());
    CHECK(std::memcmp(built->instructions.data(), compiled->instructions.data(),
                      built->instructions.size() * sizeof(sock_filter)) == 0);
}
