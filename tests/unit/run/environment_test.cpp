#include <berth/run/environment.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{
EnvLookup fakeCaller()
{
    return [](const std::string& key) -> std::optional<std::string> {
        if (key == "FROM_CALLER") return std::string("caller value");
        return std::nullopt;
    };
}
} // namespace

TEST_CASE("-e K=V keeps every byte after the first '='")
{
    auto e = parseEnvArgument("A=b=c #!\nd", fakeCaller());
    REQUIRE(e);
    REQUIRE(*e);
    CHECK((*e)->first == "A");
    CHECK((*e)->second == "b=c #!\nd");
}

TEST_CASE("-e K copies the caller's value, and nothing when the caller has none")
{
    auto e = parseEnvArgument("FROM_CALLER", fakeCaller());
    REQUIRE(e);
    REQUIRE(*e);
    CHECK((*e)->second == "caller value");
    auto missing = parseEnvArgument("NOT_SET", fakeCaller());
    REQUIRE(missing);
    CHECK(!*missing);
}

TEST_CASE("-e with an empty name is refused")
{
    CHECK(!parseEnvArgument("=x", fakeCaller()));
}

TEST_CASE("env files skip comments and blank lines, copy bare names, keep odd names")
{
    auto env =
        parseEnvFile("# comment\n\nA=1\n  B=two words\nFROM_CALLER\nNOT_SET\nodd.name-x=ok\r\n",
                     "f", fakeCaller());
    REQUIRE(env);
    REQUIRE(env->size() == 4);
    CHECK((*env)[0] == std::pair<std::string, std::string>{"A", "1"});
    CHECK((*env)[1] == std::pair<std::string, std::string>{"B", "two words"});
    CHECK((*env)[2] == std::pair<std::string, std::string>{"FROM_CALLER", "caller value"});
    CHECK((*env)[3] == std::pair<std::string, std::string>{"odd.name-x", "ok"});
}

TEST_CASE("setEnv replaces in place so the order stays that of first appearance")
{
    EnvList env{{"A", "1"}, {"B", "2"}};
    setEnv(env, "A", "3");
    setEnv(env, "C", "4");
    CHECK(formatEnv(env) == std::vector<std::string>{"A=3", "B=2", "C=4"});
}
