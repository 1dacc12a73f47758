#include "command.hpp"
#include "fetch_commands.hpp"
#include "pod_commands.hpp"
#include "trust_commands.hpp"

#include <berth/base/log.hpp>
#include <berth/run/inherited_fds.hpp>
#include <csignal>
#include <optional>
#include <unistd.h>

using namespace berth;
using namespace berth::cli;

namespace
{

CLI::App* findCommand(CLI::App& parent, const std::string& word)
{
    for (CLI::App* command : parent.get_subcommands({}))
        if (command->get_name() == word) return command;
    return nullptr;
}

// CLI11 reports a mistyped command as "A subcommand is required"; name the
// word instead, at either level (berth WORD, berth image WORD).
std::optional<std::string> unknownCommand(CLI::App& app, int argc, char** argv)
{
    int index = commandWordIndex(argc, argv);
    if (index == argc) return std::nullopt;
    CLI::App* command = findCommand(app, argv[index]);
    if (!command) return std::string("unknown command '") + argv[index] + "' (see 'berth --help')";
    if (command->get_require_subcommand_min() == 0) return std::nullopt;
    for (int i = index + 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word.starts_with("-")) continue;
        if (findCommand(*command, word)) return std::nullopt;
        return "unknown command '" + command->get_name() + " " + word + "' (see 'berth " +
               command->get_name() + " --help')";
    }
    return std::nullopt;
}

} // namespace

// berth-engine: every command. The `berth` front (front_main.cpp) runs a
// warm `berth run` itself and execs this program for everything else.
int main(int argc, char** argv)
{
    // First: nothing of ours may take a number the pod is handed by number
    // (the front checked too when it ran first; the check costs nothing).
    if (auto checked = checkInheritedFds(); !checked) return fail(checked.error());
    // A closed pipe reading our output is an error to report, not a signal
    // that kills us silently.
    std::signal(SIGPIPE, SIG_IGN);

    Context context;
    EngineImageSupply supply;
    context.imageSupply = &supply;
    Action action;
    CLI::App app{"berth: daemonless, rootless containers for appc and OCI images", "berth"};
    app.require_subcommand(1);
    app.fallthrough();
    addGlobalOptions(app, context);

    addVersionCommand(app, context, action);
    addFetchCommand(app, context, action);
    addImageCommand(app, context, action);
    addRunCommand(app, context, action);
    addPodCommands(app, context, action);
    addTrustCommand(app, context, action);
    addLoginCommand(app, context, action);
    addLogoutCommand(app, context, action);
    addSystemCommand(app, context, action);

    if (auto unknown = unknownCommand(app, argc, argv)) return fail(*unknown);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        logError("{} (see 'berth --help')", e.what());
        return 125;
    }

    if (int failed = applyGlobalOptions(context)) return failed;
    if (!action) return fail("no command given (see 'berth --help')");
    return runAction(action);
}
