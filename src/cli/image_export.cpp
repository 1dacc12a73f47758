#include "image_commands.hpp"

#include <berth/image/aci_export.hpp>
#include <berth/image/oci_export.hpp>
#include <berth/image/reference.hpp>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

struct ExportOptions {
    std::string image;
    std::string destination;
};

int exportImage(Context& context, const ExportOptions& options)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    auto image = resolveStoredImage(context, options.image);
    if (!image) return fail(image.error());
    auto dest = ImageReference::parse(options.destination);
    if (!dest) return fail(dest.error());
    using T = ImageReference::Transport;
    if (dest->transport == T::OciLayout) {
        if (auto done = exportOciLayout(**store, *image, dest->path, dest->tag); !done)
            return fail(std::move(done).error().addContext("export " + image->id));
    } else if (dest->transport == T::AciFile && dest->path.ends_with(".aci")) {
        // An ACI is written as stored; an OCI image is converted, its layers
        // flattened into one rootfs.
        if (auto done = exportAci(**store, *image, dest->path); !done)
            return fail(std::move(done).error().addContext("export " + image->id));
    } else {
        return fail("export destination '" + options.destination +
                    "' is neither oci:DIR[:TAG] nor FILE.aci");
    }
    if (!context.quiet) fmt::print("{}\n", image->id);
    return 0;
}

} // namespace

void addImageExportCommand(CLI::App& image, Context& context, Action& action)
{
    auto options = std::make_shared<ExportOptions>();
    auto* cmd = image.add_subcommand("export", "Write a stored image to oci:DIR[:TAG] or FILE.aci");
    cmd->add_option("IMAGE", options->image, "Name[:tag], image ID or unique ID prefix")
        ->required();
    cmd->add_option("DEST", options->destination, "oci:DIR[:TAG] or FILE.aci")->required();
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return exportImage(context, *options); };
    });
}

} // namespace berth::cli
