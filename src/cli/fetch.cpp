#include "command.hpp"

#include <berth/fetch/fetcher.hpp>
#include <berth/image/importer.hpp>
#include <berth/image/reference.hpp>
#include <berth/render/extract_limits.hpp>
#include <berth/render/fetch_unpacking.hpp>
#include <berth/render/render.hpp>
#include <berth/trust/verified_import.hpp>
#include <fmt/format.h>
#include <memory>
#include <string>
#include <vector>

namespace berth::cli
{

namespace
{

struct FetchOptions {
    std::vector<std::string> images;
    std::string platform; // OS/ARCH[/VARIANT]
    std::string pull = "update";
    std::string signature; // --signature FILE
    long timeout = 30;     // seconds without a byte before a transfer is abandoned
    uint64_t maxInflateRatio = ExtractLimits::fromEnvironment().maxInflateRatio;
};

// Registries, https:// ACIs and appc discovery go to the fetch library.
int fetchRemote(Context& context, Store& store, const ImageReference& reference,
                const ImportOptions& import, const FetchOptions& options)
{
    berth::FetchOptions remote;
    auto policy = parsePullPolicy(options.pull);
    if (!policy) return fail(policy.error());
    remote.pull = *policy;
    remote.allowUnsigned = context.insecure.image;
    remote.insecureTls = context.insecure.tls;
    remote.allowHttp = context.insecure.http;
    remote.insecurePubkey = context.insecure.pubkey;
    remote.signaturePath = import.signaturePath;
    remote.progress = context.quiet ? ProgressMode::Quiet : ProgressMode::Auto;
    remote.connectTimeoutSeconds = options.timeout;
    remote.lowSpeedSeconds = options.timeout;
    remote.limits = ExtractLimits::fromEnvironment();
    remote.limits.maxInflateRatio = options.maxInflateRatio;
    remote.os = import.os;
    remote.architecture = import.architecture;
    // A registry image is left ready to run, its layers unpacked into the
    // user's tree cache as `podman pull` does; the unpacking checks the
    // diff_ids, which the download then skips. The system store holds only
    // blobs for its members, so a fetch into it (often by an administrator
    // for others) unpacks nothing and checks the diff_ids while downloading.
    RenderOptions render;
    render.limits = remote.limits;
    if (!store.isSystem()) remote.unpacking = unpackIntoTreeCache(store, render);
    auto record = fetchRemoteImage(store, reference, remote);
    if (!record) return fail(record.error());
    fmt::print("{}\n", record->id);
    std::fflush(stdout);
    return 0;
}

int fetch(Context& context, const FetchOptions& options)
{
    ImportOptions import;
    import.allowUnsigned = context.insecure.image;
    import.signaturePath = options.signature;
    if (!options.signature.empty() && options.images.size() != 1)
        return fail("--signature FILE signs one image; fetch the images one at a time");
    if (!options.platform.empty()) {
        auto slash = options.platform.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == options.platform.size())
            return fail("--platform '" + options.platform + "': expected OS/ARCH[/VARIANT]");
        import.os = options.platform.substr(0, slash);
        import.architecture = options.platform.substr(slash + 1);
    }
    for (const auto& text : options.images) {
        auto reference = ImageReference::parse(text);
        if (!reference) return fail(reference.error());
        auto store = context.store();
        if (!store) return fail(store.error());
        if (isRemoteReference(*reference)) {
            if (int status = fetchRemote(context, **store, *reference, import, options))
                return status;
            continue;
        }
        if (reference->transport == ImageReference::Transport::Stored) {
            // Already in the store: fetching it again is a no-op. Discovery
            // of bare names over the network comes with the fetch stage.
            auto found = (*store)->index().resolve(text);
            if (!found) return fail(found.error());
            fmt::print("{}\n", found->id);
            continue;
        }
        auto record = importVerifiedImage(**store, *reference, import, TrustOptions{});
        if (!record) return fail(record.error());
        fmt::print("{}\n", record->id);
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

void addFetchCommand(CLI::App& app, Context& context, Action& action)
{
    auto options = std::make_shared<FetchOptions>();
    auto* cmd = app.add_subcommand(
        "fetch",
        "Fetch or import images into the store and print their IDs "
        "(docker://HOST/REPO[:TAG|@DIGEST], https://…/NAME.aci, example.com/app[:VERSION], "
        "oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, FILE.aci)");
    cmd->add_option("IMAGE", options->images, "Image references")->required();
    cmd->add_option("--pull", options->pull,
                    "When to use the network: never, new (only what is missing), update")
        ->capture_default_str();
    cmd->add_option("--timeout", options->timeout,
                    "Seconds a connection or transfer may go without a byte before it is "
                    "abandoned (and retried); a request must also end within as many seconds "
                    "again per MiB it brings")
        ->capture_default_str()
        ->check(CLI::Range(1L, 3600L));
    cmd->add_option("--max-inflate-ratio", options->maxInflateRatio,
                    "Times its compressed size a layer may inflate to (at least 64 MiB) before "
                    "it is refused as a decompression bomb")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20));
    cmd->add_option("--platform", options->platform,
                    "Platform to choose from an image index (default: the host's)");
    cmd->add_option("--signature", options->signature,
                    "Signature FILE: an ACI's detached .aci.asc, or a simple-signing signature "
                    "of a docker:// image (checked besides its lookaside)");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return fetch(context, *options); };
    });
}

} // namespace berth::cli
