#include "image_commands.hpp"

#include <berth/base/printable.hpp>
#include <fmt/format.h>
#include <memory>
#include <set>

namespace berth::cli
{

namespace
{

// The one name:tag of `names` (the image's, as "name:tag") that `text`
// names, or "" when text is an ID or names none of them alone.
std::string typedName(const std::string& text, const std::vector<std::string>& names)
{
    for (const auto& name : names)
        if (name == text || name == text + ":latest") return name;
    return {};
}

int remove(Context& context, const std::vector<std::string>& texts)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    ImageIndex& index = (*store)->index();
    // Resolve all before changing any: one unknown or ambiguous name leaves
    // the store as it was.
    struct Removal {
        std::string id;
        std::string untag; // "name:tag" to drop, when the image keeps others
    };
    std::vector<Removal> removals;
    std::set<std::string> seen;
    for (const auto& text : texts) {
        auto image = resolveStoredImage(context, text);
        if (!image) return fail(image.error());
        auto names = index.namesOf(image->id);
        if (!names) return fail(names.error());
        // As Podman does: a name of an image that has others only untags.
        std::string name = typedName(text, *names);
        if (!name.empty() && names->size() > 1) {
            if (seen.insert(name).second) removals.push_back({image->id, name});
            continue;
        }
        if (seen.insert(image->id).second) removals.push_back({image->id, {}});
    }
    for (const auto& removal : removals) {
        if (!removal.untag.empty()) {
            size_t colon = removal.untag.rfind(':');
            if (auto untagged =
                    index.untag(removal.untag.substr(0, colon), removal.untag.substr(colon + 1));
                !untagged)
                return fail(untagged.error());
            fmt::print("Untagged: {}\n", printable(removal.untag));
            continue;
        }
        if (auto removed = index.removeImage(removal.id); !removed) return fail(removed.error());
        fmt::print("{}\n", removal.id);
    }
    return 0;
}

} // namespace

void addImageRmCommand(CLI::App& image, Context& context, Action& action)
{
    auto images = std::make_shared<std::vector<std::string>>();
    auto* cmd = image.add_subcommand(
        "rm", "Remove images from the store; a name of an image with others only untags it "
              "('berth image gc' reclaims blobs)");
    cmd->add_option("IMAGE", *images, "Name[:tag], image ID or unique ID prefix")->required();
    cmd->callback([&action, &context, images] {
        action = [&context, images] { return remove(context, *images); };
    });
}

} // namespace berth::cli
