#include <berth/run/capabilities.hpp>
#include <doctest/doctest.h>
#include <linux/capability.h>

using namespace berth;

namespace
{
bool has(CapabilitySet set, int cap)
{
    return (set >> cap) & 1;
}
} // namespace

TEST_CASE("the default set is Podman's eleven")
{
    CapabilitySet d = defaultCapabilities();
    CHECK(__builtin_popcountll(d) == 11);
    for (int cap :
         {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
          CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT})
        CHECK(has(d, cap));
    CHECK(!has(d, CAP_SYS_ADMIN));
    CHECK(!has(d, CAP_NET_RAW));
    CHECK(d == 0x800405fb);
}

TEST_CASE("names parse with or without CAP_, in any case")
{
    CHECK(*parseCapability("net_admin") == CAP_NET_ADMIN);
    CHECK(*parseCapability("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
    CHECK(!parseCapability("CAP_BOGUS"));
    CHECK(capabilityName(CAP_KILL) == "CAP_KILL");
}

TEST_CASE("--cap-add and --cap-drop follow Podman's rules")
{
    CapabilitySet d = defaultCapabilities();
    auto dropped = applyCapabilityChanges(d, {}, {"CHOWN"});
    REQUIRE(dropped);
    CHECK(!has(*dropped, CAP_CHOWN));
    CHECK(has(*dropped, CAP_KILL));

    auto added = applyCapabilityChanges(d, {"NET_RAW"}, {});
    CHECK(has(*added, CAP_NET_RAW));

    auto onlyOne = applyCapabilityChanges(d, {"KILL"}, {"all"});
    CHECK(*onlyOne == (CapabilitySet{1} << CAP_KILL));

    auto allButOne = applyCapabilityChanges(d, {"all"}, {"SYS_ADMIN"});
    CHECK(has(*allButOne, CAP_SYS_ADMIN) == false);
    CHECK(has(*allButOne, CAP_NET_ADMIN));

    CHECK(!applyCapabilityChanges(d, {"NOPE"}, {}));
}
