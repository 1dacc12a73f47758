#include <berth/image/oci_media_types.hpp>
#include <berth/image/oci_platform.hpp>
#include <sys/utsname.h>

namespace berth
{

namespace
{

// uname(2) machine names to GOARCH, the spelling OCI uses.
OciPlatform fromMachine(const std::string& machine)
{
    OciPlatform p{"linux", machine, ""};
    if (machine == "x86_64")
        p.architecture = "amd64";
    else if (machine == "aarch64" || machine == "arm64")
        p = {"linux", "arm64", "v8"};
    else if (machine.starts_with("armv7"))
        p = {"linux", "arm", "v7"};
    else if (machine.starts_with("armv6"))
        p = {"linux", "arm", "v6"};
    else if (machine.starts_with("armv5"))
        p = {"linux", "arm", "v5"};
    else if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686")
        p.architecture = "386";
    else if (machine == "ppc64le" || machine == "s390x" || machine == "riscv64" ||
             machine == "mips64")
        p.architecture = machine;
    return p;
}

} // namespace

OciPlatform hostPlatform()
{
    struct utsname u;
    if (::uname(&u) < 0) return {"linux", "amd64", ""};
    return fromMachine(u.machine);
}

OciPlatform platformFor(const std::string& os, const std::string& architecture)
{
    OciPlatform p = hostPlatform();
    if (!os.empty()) p.os = os;
    if (!architecture.empty()) {
        // "arm64/v8" or "arm/v7": the variant rides along after a slash.
        auto slash = architecture.find('/');
        p.architecture = architecture.substr(0, slash);
        p.variant = slash == std::string::npos ? "" : architecture.substr(slash + 1);
    }
    return p;
}

bool platformMatches(const OciPlatform& candidate, const OciPlatform& wanted)
{
    if (candidate.os != wanted.os || candidate.architecture != wanted.architecture) return false;
    auto variant = [](const OciPlatform& p) {
        return p.architecture == "arm64" && p.variant.empty() ? std::string("v8") : p.variant;
    };
    return candidate.variant.empty() || wanted.variant.empty() ||
           variant(candidate) == variant(wanted);
}

std::string platformString(const OciPlatform& platform)
{
    std::string s = platform.os + "/" + platform.architecture;
    if (!platform.variant.empty()) s += "/" + platform.variant;
    return s;
}

Result<OciDescriptor> selectPlatformManifest(const std::vector<OciDescriptor>& entries,
                                             const OciPlatform& wanted, std::string_view what)
{
    std::vector<const OciDescriptor*> images;
    for (const auto& e : entries)
        if (isManifestMediaType(e.mediaType) || isIndexMediaType(e.mediaType)) images.push_back(&e);
    if (images.empty()) return Error(std::string(what) + ": lists no image manifest");
    if (images.size() == 1 && !images.front()->platform) return *images.front();
    // Exact variant first, so that an index listing both arm/v6 and arm/v7
    // gives the host's own.
    const OciDescriptor* loose = nullptr;
    std::string available;
    for (const auto* e : images) {
        if (!e->platform) continue;
        if (!available.empty()) available += ", ";
        available += platformString(*e->platform);
        if (!platformMatches(*e->platform, wanted)) continue;
        if (e->platform->variant == wanted.variant) return *e;
        if (!loose) loose = e;
    }
    if (loose) return *loose;
    return Error(std::string(what) + ": no manifest for platform " + platformString(wanted) +
                 (available.empty() ? std::string() : " (available: " + available + ")"));
}

} // namespace berth
