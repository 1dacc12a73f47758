#include "config.h"
#include "image_commands.hpp"
#include "trust_commands.hpp"

#include <berth/base/file.hpp>
#include <berth/base/regular_file.hpp>
#include <berth/image/aci_export.hpp>
#include <berth/trust/signed_identity.hpp>
#include <berth/trust/signer.hpp>
#include <berth/trust/simple_signing.hpp>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <sys/stat.h>

namespace berth::cli
{

namespace
{

struct SignOptions {
    std::string image;
    std::string key;
    std::string output;    // FILE.aci: export, then sign beside it
    std::string lookaside; // DIR: simple signing for an OCI image
    std::string reference; // the identity to sign for; default the image's name:tag
};

// Signs an ACI file in place: FILE.asc beside FILE.
Result<std::string> signAciFile(const std::string& file, const std::string& key)
{
    BERTH_TRY(UniqueFd fd, openRegularFile(file));
    BERTH_TRY(std::string signature, signDetached(fd.get(), key));
    std::string path = file + ".asc";
    BERTH_CHECK(writeFileAtomic(path, signature, 0644));
    return path;
}

// The lookaside layout containers/image reads (containers-registries.d(5)):
// DIR/PATH@ALG=HEX/signature-N, PATH being the repository without its
// registry, N the first free number from 1.
Result<std::string> writeLookaside(const std::string& dir, const SignedIdentity& identity,
                                   const Digest& digest, const std::string& signature)
{
    std::string path = identity.repository.substr(identity.repository.find('/') + 1);
    std::string sigDir = dir + "/" + path + "@" + digest.algorithmName() + "=" + digest.hex();
    BERTH_CHECK(makeDirectories(sigDir, 0755));
    for (int n = 1; n < 1000; ++n) {
        std::string file = sigDir + "/signature-" + std::to_string(n);
        auto fd = openPath(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (!fd) {
            if (fd.error().errnum() == EEXIST) continue;
            return std::move(fd).error();
        }
        if (auto written = writeAll(fd->get(), signature); !written) {
            ::unlink(file.c_str());
            return std::move(written).error().addContext("write '" + file + "'");
        }
        return file;
    }
    return Error("'" + sigDir + "' already holds 999 signatures");
}

int signImage(Context& context, const SignOptions& options)
{
    struct stat st;
    bool isFile = options.image.ends_with(".aci") && ::stat(options.image.c_str(), &st) == 0 &&
                  S_ISREG(st.st_mode);
    if (isFile) {
        if (!options.output.empty() || !options.lookaside.empty())
            return fail("signing the ACI file '" + options.image +
                        "' writes FILE.aci.asc beside it; --output and --lookaside are for "
                        "stored images");
        auto signature = signAciFile(options.image, options.key);
        if (!signature)
            return fail(std::move(signature).error().addContext("sign " + options.image));
        fmt::print("{}\n", *signature);
        return 0;
    }
    if (options.output.empty() && options.lookaside.empty())
        return fail("say where the signature goes: --output FILE.aci (export and sign an ACI) "
                    "or --lookaside DIR (simple signing for an OCI image)");

    auto store = context.store();
    if (!store) return fail(store.error());
    auto image = resolveStoredImage(context, options.image);
    if (!image) return fail(image.error());

    if (!options.output.empty()) {
        if (!options.output.ends_with(".aci"))
            return fail("--output names the ACI to write, FILE.aci");
        if (auto exported = exportAci(**store, *image, options.output); !exported)
            return fail(std::move(exported).error().addContext("export " + image->id));
        auto signature = signAciFile(options.output, options.key);
        if (!signature)
            return fail(std::move(signature).error().addContext("sign " + options.output));
        fmt::print("{}\n", *signature);
    }

    if (!options.lookaside.empty()) {
        if (image->format != ImageFormat::Oci || !image->manifestDigest)
            return fail("simple signing signs an OCI manifest; '" + options.image +
                        "' is an ACI: sign it with --output FILE.aci");
        std::string reference = options.reference;
        if (reference.empty())
            reference = image->name + ":" + (image->tag.empty() ? "latest" : image->tag);
        auto identity = parseSignedIdentity(reference);
        if (!identity)
            return fail(std::move(identity).error().addContext(
                "sign " + options.image + " (give the name to sign for with --reference)"));
        std::string payload =
            makeSimpleSigningPayload(*image->manifestDigest, identity->str(),
                                     std::string("berth ") + BERTH_VERSION, ::time(nullptr));
        auto signature = signMessage(payload, options.key);
        if (!signature)
            return fail(std::move(signature).error().addContext("sign " + options.image));
        auto written =
            writeLookaside(options.lookaside, *identity, *image->manifestDigest, *signature);
        if (!written) return fail(written.error());
        fmt::print("{}\n", *written);
    }
    return 0;
}

} // namespace

void addImageSignCommand(CLI::App& image, Context& context, Action& action)
{
    auto options = std::make_shared<SignOptions>();
    auto* cmd = image.add_subcommand("sign", "Sign an image with your own GnuPG key");
    cmd->add_option("IMAGE", options->image,
                    "Name[:tag], image ID or unique prefix, or an ACI file to sign in place")
        ->required();
    cmd->add_option("--key", options->key, "Your signing key (a fingerprint is best)")->required();
    cmd->add_option("--output", options->output, "Export the image to FILE.aci and sign it");
    cmd->add_option("--lookaside", options->lookaside,
                    "Write a simple-signing signature into this lookaside directory (OCI)");
    cmd->add_option("--reference", options->reference,
                    "Sign for this docker reference (default: the image's name:tag)");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return signImage(context, *options); };
    });
}

} // namespace berth::cli
