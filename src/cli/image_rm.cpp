#include "image_commands.hpp"

#include <fmt/format.h>
#include <memory>
#include <set>

namespace berth::cli
{

namespace
{

int remove(Context& context, const std::vector<std::string>& texts)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    // Resolve all before removing any: one unknown or ambiguous name leaves
    // the store as it was.
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (const auto& text : texts) {
        auto image = resolveStoredImage(context, text);
        if (!image) return fail(image.error());
        if (seen.insert(image->id).second) ids.push_back(image->id);
    }
    for (const auto& id : ids) {
        if (auto removed = (*store)->index().removeImage(id); !removed)
            return fail(removed.error());
        fmt::print("{}\n", id);
    }
    return 0;
}

} // namespace

void addImageRmCommand(CLI::App& image, Context& context, Action& action)
{
    auto images = std::make_shared<std::vector<std::string>>();
    auto* cmd = image.add_subcommand(
        "rm", "Remove images and their names from the store ('berth image gc' reclaims blobs)");
    cmd->add_option("IMAGE", *images, "Name[:tag], image ID or unique ID prefix")->required();
    cmd->callback([&action, &context, images] {
        action = [&context, images] { return remove(context, *images); };
    });
}

} // namespace berth::cli
