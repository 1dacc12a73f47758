#include "fetch_commands.hpp"

#include <berth/fetch/registry_login.hpp>
#include <fmt/format.h>
#include <memory>
#include <string>

namespace berth::cli
{

namespace
{

struct LogoutOptions {
    std::string registry;
    std::string authFile;
};

int logout(Context& context, const LogoutOptions& options)
{
    auto removed = logoutFromRegistry(options.registry, options.authFile);
    if (!removed) return fail(removed.error());
    if (!*removed) return fail("not logged in to " + options.registry);
    if (!context.quiet) fmt::print("Removed login credentials for {}\n", options.registry);
    return 0;
}

} // namespace

void addLogoutCommand(CLI::App& app, Context& context, Action& action)
{
    auto options = std::make_shared<LogoutOptions>();
    auto* cmd = app.add_subcommand("logout", "Remove a registry's credentials from auth.json");
    cmd->add_option("REGISTRY", options->registry, "Registry host[:port]")->required();
    cmd->add_option("--authfile", options->authFile,
                    "Credentials file (default: every file berth reads credentials from)");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return logout(context, *options); };
    });
}

} // namespace berth::cli
