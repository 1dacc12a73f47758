#pragma once

#include "command.hpp"

#include <berth/image/image_record.hpp>
#include <string>

namespace berth::cli
{

// `berth image SUBCOMMAND`: each subcommand lives in its own file.
void addImageListCommand(CLI::App& image, Context& context, Action& action);
void addImageInspectCommand(CLI::App& image, Context& context, Action& action);
void addImageRmCommand(CLI::App& image, Context& context, Action& action);
void addImageCatManifestCommand(CLI::App& image, Context& context, Action& action);
void addImageExportCommand(CLI::App& image, Context& context, Action& action);
void addImageExtractCommand(CLI::App& image, Context& context, Action& action);
void addImageRenderCommand(CLI::App& image, Context& context, Action& action);
void addImageGcCommand(CLI::App& image, Context& context, Action& action);

// Finds an image in the store by name[:tag], ID or unique ID prefix.
Result<ImageRecord> resolveStoredImage(Context& context, const std::string& text);

} // namespace berth::cli
