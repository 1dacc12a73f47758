#include "image_commands.hpp"
#include "trust_commands.hpp"

#include <berth/base/printable.hpp>
#include <berth/trust/stored_image_verification.hpp>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

int verify(Context& context, const std::string& text)
{
    auto store = context.store();
    if (!store) return fail(store.error());
    auto image = resolveStoredImage(context, text);
    if (!image) return fail(image.error());
    auto verdict = verifyStoredImage(**store, *image, TrustOptions{});
    if (!verdict) return fail(verdict.error());
    if (verdict->signatureChecked)
        fmt::print("image '{}' ({}): {} blobs intact, signature verified by trusted key {}\n",
                   printable(image->name), image->id, verdict->blobs, verdict->fingerprint);
    else
        fmt::print("image '{}' ({}): {} blobs intact, verified at fetch by key {}, which is "
                   "still trusted (the signed .aci is not kept to check again)\n",
                   printable(image->name), image->id, verdict->blobs, verdict->fingerprint);
    return 0;
}

} // namespace

void addImageVerifyCommand(CLI::App& image, Context& context, Action& action)
{
    auto text = std::make_shared<std::string>();
    auto* cmd = image.add_subcommand(
        "verify", "Re-hash every blob of a stored image and check its signature again");
    cmd->add_option("IMAGE", *text, "Name[:tag], image ID or unique ID prefix")->required();
    cmd->callback([&action, &context, text] {
        action = [&context, text] { return verify(context, *text); };
    });
}

} // namespace berth::cli
