#include "pod_commands.hpp"

#include <berth/base/log.hpp>
#include <berth/pod/pod.hpp>

namespace berth::cli
{

void addGcCommand(CLI::App& app, Context& context, Action& action)
{
    auto* cmd = app.add_subcommand("gc", "Remove every exited pod");
    cmd->callback([&context, &action]() {
        action = [&context]() {
            auto store = context.store();
            if (!store) return fail(store.error());
            auto removed = collectPods(**store, IdMap::forCurrentUser());
            if (!removed) return fail(removed.error());
            logInfo("removed {} pod(s)", *removed);
            return 0;
        };
    });
}

} // namespace berth::cli
