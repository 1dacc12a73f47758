// auth.json (containers-auth.json(5)): written by other tools, and berth
// login rewrites it keeping every key it does not know.
#include "fuzz_input.hpp"

#include <berth/fetch/credentials.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto json = berth::fuzz::text(data, size);
    (void)berth::findCredentialIn(json, "registry.example:5000", "ns/app");
    (void)berth::findCredentialIn(json, "docker.io", "library/busybox");
    auto added = berth::withCredential(json, "registry.example:5000", "user", "pa:ss");
    if (added) {
        // What login wrote, lookup must find.
        auto found = berth::findCredentialIn(*added, "registry.example:5000", "ns/app");
        if (!found) __builtin_trap();
    }
    bool removed = false;
    (void)berth::withoutCredential(json, "registry.example:5000", &removed);
    return 0;
}
