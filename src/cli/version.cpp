#include "command.hpp"

#include <berth/base/kernel_features.hpp>

#include "config.h"

#include <fmt/format.h>

namespace berth::cli {

namespace {

int showVersion()
{
    KernelFeatures k = KernelFeatures::probe();
    auto yesNo = [](bool b) { return b ? "yes" : "no"; };
    fmt::print("berth {}\n", BERTH_VERSION);
    fmt::print("libraries: libarchive {}, sqlite {}, gpgme {}, libcrypto {}, fmt {}, "
               "nlohmann_json {}, isa-l {}\n",
               BERTH_ARCHIVE_VERSION, BERTH_SQLITE_VERSION, BERTH_GPGME_VERSION,
               BERTH_CRYPTO_VERSION, BERTH_FMT_VERSION, BERTH_JSON_VERSION, BERTH_ISAL_VERSION);
    fmt::print("kernel: {}\n", k.kernelRelease);
    fmt::print("  user namespaces: {}{}\n", yesNo(k.userNamespaces),
               k.userNamespaceNote.empty() ? "" : " (" + k.userNamespaceNote + ")");
    fmt::print("  overlay in user namespace: {}\n", yesNo(k.overlayInUserNamespace));
    fmt::print("  landlock ABI: {}\n", k.landlockAbi > 0 ? std::to_string(k.landlockAbi) : "none");
    fmt::print("  seccomp: {}\n", yesNo(k.seccomp));
    fmt::print("  openat2: {}\n", yesNo(k.openat2));
    return 0;
}

} // namespace

void addVersionCommand(CLI::App& app, Context&, Action& action)
{
    auto* cmd = app.add_subcommand("version", "Print the version, libraries and kernel features");
    cmd->callback([&action] { action = showVersion; });
}

} // namespace berth::cli
