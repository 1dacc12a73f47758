#include "image_commands.hpp"

#include <berth/render/render.hpp>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

struct ImageRenderOptions {
    std::string image;
    std::string directory;
};

int render(Context& context, const ImageRenderOptions& options)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    auto image = resolveStoredImage(context, options.image);
    if (!image) return fail(image.error());
    berth::RenderOptions render;
    if (auto done = renderImage(**store, *image, options.directory, render); !done)
        return fail(std::move(done).error().addContext("render " + image->id));
    if (!context.quiet) fmt::print("{}\n", options.directory);
    return 0;
}

} // namespace

void addImageRenderCommand(CLI::App& image, Context& context, Action& action)
{
    auto options = std::make_shared<ImageRenderOptions>();
    auto* cmd = image.add_subcommand(
        "render",
        "Write the image's full root filesystem (all layers or ACI dependencies) into DIR");
    cmd->add_option("IMAGE", options->image, "Name[:tag], image ID or unique ID prefix")
        ->required();
    cmd->add_option("DIR", options->directory, "Destination directory (must not exist)")
        ->required();
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return render(context, *options); };
    });
}

} // namespace berth::cli
