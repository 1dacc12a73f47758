#include "command.hpp"

#include <berth/image/importer.hpp>
#include <berth/image/reference.hpp>
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
};

int fetch(Context& context, const FetchOptions& options)
{
    ImportOptions import;
    import.allowUnsigned = context.insecure.image;
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
        if (reference->transport == ImageReference::Transport::Stored) {
            // Already in the store: fetching it again is a no-op. Discovery
            // of bare names over the network comes with the fetch stage.
            auto found = (*store)->index().resolve(text);
            if (!found) return fail(found.error());
            fmt::print("{}\n", found->id);
            continue;
        }
        auto record = importImage(**store, *reference, import);
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
        "fetch", "Import images into the store and print their IDs (oci:DIR[:TAG], "
                 "oci-archive:FILE[:TAG], docker-archive:FILE, FILE.aci)");
    cmd->add_option("IMAGE", options->images, "Image references")->required();
    cmd->add_option("--platform", options->platform,
                    "Platform to choose from an image index (default: the host's)");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return fetch(context, *options); };
    });
}

} // namespace berth::cli
