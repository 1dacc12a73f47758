#include "pod_commands.hpp"

#include <berth/base/printable.hpp>
#include <berth/pod/pod.hpp>
#include <fmt/format.h>

namespace berth::cli
{

void addListCommand(CLI::App& app, Context& context, Action& action)
{
    auto* cmd = app.add_subcommand("list", "List pods");
    auto noLegend = std::make_shared<bool>(false);
    cmd->add_flag("--no-legend", *noLegend, "Print no header line");
    cmd->callback([&context, &action, noLegend]() {
        action = [&context, noLegend]() {
            auto store = context.store();
            if (!store) return fail(store.error());
            auto pods = listPods(**store);
            if (!pods) return fail(pods.error());
            if (!*noLegend && !context.quiet)
                fmt::print("{:<36}  {:<16}  {:<8}  {:<6}  {}\n", "UUID", "NAME", "STATE", "EXIT",
                           "IMAGES");
            for (const auto& p : *pods) {
                if (context.quiet) {
                    fmt::print("{}\n", printable(p.info.uuid));
                    continue;
                }
                std::string images;
                for (const auto& i : p.info.images)
                    images += (images.empty() ? "" : ",") + i;
                // pod.json is the pod's and names images: escaped.
                fmt::print("{:<36}  {:<16}  {:<8}  {:<6}  {}\n", printable(p.info.uuid),
                           p.info.name.empty() ? "-" : printable(p.info.name),
                           podStateName(p.state),
                           p.exitStatus ? std::to_string(*p.exitStatus) : "-", printable(images));
            }
            return 0;
        };
    });
}

} // namespace berth::cli
