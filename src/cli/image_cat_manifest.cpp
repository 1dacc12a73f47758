#include "image_commands.hpp"

#include <berth/image/oci_inspect.hpp>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

struct CatManifestOptions {
    std::string image;
    bool pretty = false;
};

int catManifest(Context& context, const CatManifestOptions& options)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    auto image = resolveStoredImage(context, options.image);
    if (!image) return fail(image.error());
    auto manifest = readImageManifest(**store, *image);
    if (!manifest) return fail(manifest.error());
    if (options.pretty) {
        auto json = parseJson(*manifest, "manifest of " + image->id);
        if (!json) return fail(json.error());
        fmt::print("{}\n", json->dump(4));
        return 0;
    }
    // The bytes as stored, so that they hash to the manifest digest.
    fmt::print("{}", *manifest);
    if (!manifest->ends_with('\n')) fmt::print("\n");
    return 0;
}

} // namespace

void addImageCatManifestCommand(CLI::App& image, Context& context, Action& action)
{
    auto options = std::make_shared<CatManifestOptions>();
    auto* cmd = image.add_subcommand(
        "cat-manifest", "Print an image's stored manifest (OCI manifest or ACI manifest)");
    cmd->add_option("IMAGE", options->image, "Name[:tag], image ID or unique ID prefix")
        ->required();
    cmd->add_flag("--pretty-print", options->pretty, "Indent the JSON");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return catManifest(context, *options); };
    });
}

} // namespace berth::cli
