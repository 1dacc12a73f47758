#include "pod_commands.hpp"

#include <berth/base/printable.hpp>
#include <berth/pod/pod.hpp>
#include <fmt/format.h>

namespace berth::cli
{

void addStatusCommand(CLI::App& app, Context& context, Action& action)
{
    auto* cmd = app.add_subcommand("status", "Show a pod's state and exit status");
    auto uuid = std::make_shared<std::string>();
    cmd->add_option("UUID", *uuid, "Pod UUID (or unique prefix, or name)")->required();
    cmd->callback([&context, &action, uuid]() {
        action = [&context, uuid]() {
            auto store = context.store();
            if (!store) return fail(store.error());
            auto pod = findPod(**store, *uuid);
            if (!pod) return fail(pod.error());
            fmt::print("uuid={}\nstate={}\n", printable(pod->info.uuid), podStateName(pod->state));
            if (!pod->info.name.empty()) fmt::print("name={}\n", printable(pod->info.name));
            if (pod->exitStatus) fmt::print("exit-status={}\n", *pod->exitStatus);
            return 0;
        };
    });
}

} // namespace berth::cli
