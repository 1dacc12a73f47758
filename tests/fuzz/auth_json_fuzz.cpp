// auth.json (containers-auth.json(5)): written by other tools, and berth
// login rewrites it keeping every key it does not know.
#include "fuzz_input.hpp"

#include <berth/fetch/credentials.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto json = berth::fuzz::text(data, size);
    (void)berth::findCredentialIn(json, "registry.example:5000", "ns/app");
    (void)berth::findCredentialIn(json, "docker.io", "library/busybox");
    // What login wrote, lookup finds: for the registry itself (a more
    // specific host/namespace entry rightly wins for a repository), when
    // the rest of the file was readable before.
    bool readable = berth::findCredentialIn(json, "registry.example:5000", "").has_value();
    auto added = berth::withCredential(json, "registry.example:5000", "user", "pa:ss");
    if (readable && added) {
        auto found = berth::findCredentialIn(*added, "registry.example:5000", "");
        if (!found || !*found) __builtin_trap();
        // A credential helper named for the registry still comes first.
        if ((*found)->helper.empty() &&
            ((*found)->username != "user" || (*found)->password != "pa:ss"))
            __builtin_trap();
    }
    bool removed = false;
    (void)berth::withoutCredential(json, "registry.example:5000", &removed);
    return 0;
}
