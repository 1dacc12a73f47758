#include "image_commands.hpp"

#include <berth/base/log.hpp>
#include <berth/fetch/aci_fetch.hpp>
#include <berth/pod/pod.hpp>
#include <berth/render/image_gc.hpp>
#include <fmt/format.h>
#include <memory>
#include <unistd.h>

namespace berth::cli
{

namespace
{

struct GcOptions {
    bool dryRun = false;
};

int collect(Context& context, const GcOptions& gc)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    ImageGcOptions options;
    options.dryRun = gc.dryRun;
    options.idMap = IdMap::forCurrentUser();
    // The system store's blobs belong to every member: only root collects them.
    options.collectShared = !(*store)->isSystem() || ::geteuid() == 0;
    auto inUse = treesInUse(**store);
    if (!inUse) return fail(inUse.error());
    options.keepTrees = std::move(*inUse);
    // An ACI fetched with a detached signature keeps it as a blob that only
    // the remote cache names.
    auto images = (*store)->index().list();
    if (!images) return fail(images.error());
    for (const auto& image : *images) {
        auto sig = (*store)->index().getCache(signatureCacheKey(image.id));
        if (!sig) return fail(sig.error());
        if (*sig) options.keepBlobs.push_back(**sig);
    }
    auto result = collectImageGarbage(**store, options);
    if (!result) return fail(result.error());
    GcReport total = result->total();
    if (!options.collectShared)
        logInfo("shared blobs of the system store were not collected: only root may (sudo "
                "berth --store=system image gc)");
    if (context.quiet) {
        fmt::print("{}\n", total.bytes);
    } else {
        fmt::print("{} {} item(s), {} bytes ({} blob(s), {} tree(s), {} tmp leftover(s))\n",
                   gc.dryRun ? "would reclaim" : "reclaimed", total.count, total.bytes,
                   result->blobs.count, result->trees.count, result->staging.count);
    }
    return 0;
}

} // namespace

void addImageGcCommand(CLI::App& image, Context& context, Action& action)
{
    auto gc = std::make_shared<GcOptions>();
    auto* cmd = image.add_subcommand(
        "gc", "Remove blobs, trees and fetch leftovers that no stored image uses");
    cmd->add_flag("--dry-run", gc->dryRun, "Report what would be reclaimed; remove nothing");
    cmd->callback(
        [&action, &context, gc] { action = [&context, gc] { return collect(context, *gc); }; });
}

} // namespace berth::cli
