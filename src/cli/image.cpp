#include "image_commands.hpp"
#include "trust_commands.hpp"

namespace berth::cli
{

Result<ImageRecord> resolveStoredImage(Context& context, const std::string& text)
{
    BERTH_TRY(Store * store, context.store());
    auto found = store->index().resolve(text);
    if (found) return found;
    // "sha512-" or "sha256:ab" is too short for the index to take as an ID
    // prefix; when several IDs start with it, say that rather than "not found".
    if (text.starts_with("sha256:") || text.starts_with("sha512-") || text.starts_with("sha512:")) {
        std::string prefix = text.starts_with("sha512:") ? "sha512-" + text.substr(7) : text;
        BERTH_TRY(std::vector<ImageRecord> all, store->index().list());
        size_t matches = 0;
        for (const auto& image : all)
            matches += image.id.starts_with(prefix) ? 1 : 0;
        if (matches > 1)
            return Error("image ID prefix '" + text + "' is ambiguous (" + std::to_string(matches) +
                         " images match); give more digits");
    }
    return found;
}

void addImageCommand(CLI::App& app, Context& context, Action& action)
{
    auto* image = app.add_subcommand("image", "Manage the images in the store");
    image->require_subcommand(1);
    addImageListCommand(*image, context, action);
    addImageInspectCommand(*image, context, action);
    addImageRmCommand(*image, context, action);
    addImageGcCommand(*image, context, action);
    addImageCatManifestCommand(*image, context, action);
    addImageExportCommand(*image, context, action);
    addImageExtractCommand(*image, context, action);
    addImageRenderCommand(*image, context, action);
    addImageSignCommand(*image, context, action);
    addImageVerifyCommand(*image, context, action);
}

} // namespace berth::cli
