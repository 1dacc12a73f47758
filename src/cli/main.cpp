#include "command.hpp"
#include "fetch_commands.hpp"
#include "pod_commands.hpp"
#include "trust_commands.hpp"

#include <berth/base/log.hpp>
#include <csignal>
#include <unistd.h>

using namespace berth;
using namespace berth::cli;

namespace
{

// CLI11 reports a mistyped command as "A subcommand is required"; name the
// word instead.
const char* unknownCommand(CLI::App& app, int argc, char** argv)
{
    int index = commandWordIndex(argc, argv);
    if (index == argc) return nullptr;
    for (const CLI::App* command : app.get_subcommands({}))
        if (command->get_name() == argv[index]) return nullptr;
    return argv[index];
}

} // namespace

// berth-engine: every command. The `berth` front (front_main.cpp) runs a
// warm `berth run` itself and execs this program for everything else.
int main(int argc, char** argv)
{
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

    if (const char* word = unknownCommand(app, argc, argv))
        return fail(std::string("unknown command '") + word + "' (see 'berth --help')");
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
    return action();
}
