#include "pod_commands.hpp"

#include <berth/base/log.hpp>
#include <berth/pod/pod.hpp>
#include <fmt/format.h>

namespace berth::cli
{

void addRmCommand(CLI::App& app, Context& context, Action& action)
{
    auto* cmd = app.add_subcommand("rm", "Remove pods that are not running");
    auto uuids = std::make_shared<std::vector<std::string>>();
    cmd->add_option("UUID", *uuids, "Pod UUIDs (or unique prefixes, or names)")->required();
    cmd->callback([&context, &action, uuids]() {
        action = [&context, uuids]() {
            auto store = context.store();
            if (!store) return fail(store.error());
            IdMap map = IdMap::forCurrentUser();
            int status = 0;
            for (const auto& uuid : *uuids) {
                auto pod = findPod(**store, uuid);
                auto removed = pod ? removePod(**store, *pod, map) : Result<void>(pod.error());
                if (!removed) {
                    status = fail(removed.error());
                    continue;
                }
                fmt::print("{}\n", pod->info.uuid);
            }
            return status;
        };
    });
}

} // namespace berth::cli
