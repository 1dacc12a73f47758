#include "image_commands.hpp"

namespace berth::cli
{

Result<ImageRecord> resolveStoredImage(Context& context, const std::string& text)
{
    BERTH_TRY(Store * store, context.store());
    return store->index().resolve(text);
}

void addImageCommand(CLI::App& app, Context& context, Action& action)
{
    auto* image = app.add_subcommand("image", "Manage the images in the store");
    image->require_subcommand(1);
    addImageListCommand(*image, context, action);
    addImageInspectCommand(*image, context, action);
    addImageRmCommand(*image, context, action);
    addImageCatManifestCommand(*image, context, action);
    addImageExportCommand(*image, context, action);
    addImageExtractCommand(*image, context, action);
    addImageRenderCommand(*image, context, action);
}

} // namespace berth::cli
