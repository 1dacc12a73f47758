#include "render_stage.hpp"

namespace berth
{

SandboxPolicy renderPolicy(const Store& store, const std::string& treeDir)
{
    SandboxPolicy policy;
    policy.stage = "render";
    policy.paths.read = {store.path("blobs"),
                         // iconv modules, loaded on the first non-UTF-8 name
                         "/usr/lib", "/lib", "/usr/lib64", "/lib64"};
    policy.paths.write = {treeDir};
    policy.paths.devices = {"/dev/null"};
    policy.denyNetwork = true;
    policy.newNetworkNamespace = true;
    // Hard links in a layer join files in different directories of the tree.
    policy.needsRefer = true;
    return policy;
}

} // namespace berth
