#include <berth/base/result.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <memory>

using namespace berth;

namespace {

Result<int> half(int n)
{
    if (n % 2)
        return Error("odd number " + std::to_string(n));
    return n / 2;
}

Result<int> quarter(int n)
{
    BERTH_TRY(int h, half(n).context("first half"));
    BERTH_TRY(int q, half(h).context("second half"));
    return q;
}

Result<std::unique_ptr<int>> boxed(int n)
{
    return std::make_unique<int>(n);
}

} // namespace

TEST_CASE("Result carries a value or an error with context, outer first")
{
    auto good = quarter(8);
    REQUIRE(good);
    CHECK(*good == 2);

    auto bad = quarter(6);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message() == "second half: odd number 3");
}

TEST_CASE("Error appends strerror of its errno")
{
    Error e = Error::fromErrno("open '/x'", ENOENT).addContext("read config");
    CHECK(e.message() == "read config: open '/x': No such file or directory");
    CHECK(e.errnum() == ENOENT);
}

TEST_CASE("Result moves move-only values")
{
    auto r = boxed(5);
    REQUIRE(r);
    std::unique_ptr<int> p = std::move(r).value();
    CHECK(*p == 5);
}

TEST_CASE("Result<void> reports failure")
{
    Result<void> good = ok();
    CHECK(good);
    Result<void> bad = Error("nope");
    CHECK_FALSE(bad);
    CHECK(std::move(bad).context("outer").error().message() == "outer: nope");
}
