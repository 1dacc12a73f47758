#include "image_commands.hpp"

#include <berth/render/render.hpp>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

struct ImageExtractOptions {
    std::string image;
    std::string directory;
};

int extract(Context& context, const ImageExtractOptions& options)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    auto image = resolveStoredImage(context, options.image);
    if (!image) return fail(image.error());
    berth::RenderOptions render;
    if (auto done = extractImage(**store, *image, options.directory, render); !done)
        return fail(std::move(done).error().addContext("extract " + image->id));
    if (!context.quiet) fmt::print("{}\n", options.directory);
    return 0;
}

} // namespace

void addImageExtractCommand(CLI::App& image, Context& context, Action& action)
{
    auto options = std::make_shared<ImageExtractOptions>();
    auto* cmd = image.add_subcommand(
        "extract", "Write the image's own files (an ACI without its dependencies) into DIR");
    cmd->add_option("IMAGE", options->image, "Name[:tag], image ID or unique ID prefix")
        ->required();
    cmd->add_option("DIR", options->directory, "Destination directory (must not exist)")
        ->required();
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return extract(context, *options); };
    });
}

} // namespace berth::cli
