#include "command.hpp"
#include "config.h"
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

// CLI11 reports a mistyped command as "A subcommand is required"; find the
// first word that is not a global option and name it instead.
const char* unknownCommand(CLI::App& app, int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word == "--root" || word == "--store" || word == "--insecure-options") {
            ++i;
            continue;
        }
        if (word.starts_with("-")) continue;
        for (const CLI::App* command : app.get_subcommands({}))
            if (command->get_name() == word) return nullptr;
        return argv[i];
    }
    return nullptr;
}

} // namespace

int main(int argc, char** argv)
{
    // A closed pipe reading our output is an error to report, not a signal
    // that kills us silently.
    std::signal(SIGPIPE, SIG_IGN);

    Context context;
    Action action;
    CLI::App app{"berth: daemonless, rootless containers for appc and OCI images", "berth"};
    app.require_subcommand(1);
    app.fallthrough();
    app.set_version_flag("--version", std::string(BERTH_VERSION));
    app.add_option("--root", context.root, "Store directory (default: ~/.local/share/berth)");
    app.add_option("--store", context.storeText,
                   "user (your own store) or system (/var/lib/berth, shared by group berth)");
    app.add_option("--insecure-options", context.insecureText,
                   "Checks to skip: none, image, tls, http, pubkey, all (comma-separated)");
    app.add_flag("--debug", context.debug, "Print debug messages");
    app.add_flag("-q,--quiet", context.quiet, "Print only results (an image ID, a UUID)");

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

    if (context.debug)
        setLogLevel(LogLevel::Debug);
    else if (context.quiet)
        setLogLevel(LogLevel::Warning);
    auto insecure = InsecureOptions::parse(context.insecureText);
    if (!insecure) return fail(insecure.error());
    context.insecure = *insecure;
    if (!action) return fail("no command given (see 'berth --help')");
    return action();
}
