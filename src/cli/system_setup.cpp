#include "command.hpp"

#include <berth/store/system_store.hpp>
#include <fmt/format.h>

namespace berth::cli
{

namespace
{

int systemSetup(const Context& context)
{
    SystemPaths paths = SystemPaths::get();
    auto changes = setupSystem(paths);
    if (!changes) return fail(changes.error());
    if (changes->empty()) {
        if (!context.quiet)
            fmt::print("{} and {} are already set up; nothing changed\n", paths.store,
                       paths.config);
        return 0;
    }
    for (const auto& change : *changes)
        fmt::print("{}\n", change);
    return 0;
}

} // namespace

void addSystemCommand(CLI::App& app, Context& context, Action& action)
{
    auto* system = app.add_subcommand("system", "Manage the shared system store");
    system->require_subcommand(1);
    auto* setup = system->add_subcommand(
        "setup", "Create or repair the groups, /var/lib/berth and /etc/berth (as root)");
    setup->callback([&context, &action] { action = [&context] { return systemSetup(context); }; });
}

} // namespace berth::cli
