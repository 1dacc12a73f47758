// policy.json (containers-policy.json(5)): its signedBy keys for a scope.
#include "fuzz_input.hpp"

#include <berth/trust/containers_policy_trust.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto json = berth::fuzz::text(data, size);
    (void)berth::containersPolicyKeyDataIn(json, "policy.json", "registry.example/ns/app");
    (void)berth::containersPolicyKeyDataIn(json, "policy.json", "docker.io");
    return 0;
}
