#include "image_commands.hpp"

#include <berth/image/oci_inspect.hpp>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

int inspect(Context& context, const std::vector<std::string>& images)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    Json out = Json::array();
    // Every image is looked up first, so an unknown one prints nothing else.
    for (const auto& text : images) {
        auto image = resolveStoredImage(context, text);
        if (!image) return fail(image.error());
        auto json = inspectImage(**store, *image);
        if (!json) return fail(json.error());
        out.push_back(std::move(*json));
    }
    fmt::print("{}\n", out.dump(4));
    return 0;
}

} // namespace

void addImageInspectCommand(CLI::App& image, Context& context, Action& action)
{
    auto images = std::make_shared<std::vector<std::string>>();
    auto* cmd = image.add_subcommand(
        "inspect", "Print images as JSON: config or manifest, layers, digests, source, names");
    cmd->add_option("IMAGE", *images, "Name[:tag], image ID or unique ID prefix")->required();
    cmd->callback([&action, &context, images] {
        action = [&context, images] { return inspect(context, *images); };
    });
}

} // namespace berth::cli
