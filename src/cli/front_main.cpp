// berth: the front. Start-up time is the product, and most of it used to go
// to the dynamic loader mapping libcurl, gpgme and libarchive with their 50
// dependencies on every run. This program links only what a warm
// `berth run` needs (image stored, trees rendered) and runs that itself.
// Everything else, including any run that must fetch, verify or render
// first, is handed to berth-engine with exec, before anything is written.
#include "command.hpp"
#include "engine_exec.hpp"
#include "front_caller.hpp"

#include <berth/base/log.hpp>
#include <berth/run/inherited_fds.hpp>
#include <berth/run/run.hpp>
#include <csignal>
#include <string>
#include <utility>

using namespace berth;
using namespace berth::cli;

int main(int argc, char** argv)
{
    // First: nothing of ours may take a number the pod is handed by number.
    if (auto checked = checkInheritedFds(); !checked) return fail(checked.error());
    int command = commandWordIndex(argc, argv);
    if (command == argc || std::string(argv[command]) != "run") return execEngine(argv);

    limitUserLookupsToFiles();
    // As in the engine: a closed pipe is an error to report.
    std::signal(SIGPIPE, SIG_IGN);
    // OpenSSL: the front uses only its plain SHA-256 and SHA-512 functions,
    // which need no OPENSSL_init_crypto. Nothing here may reach EVP, whose
    // first use would read openssl.cnf (about 2 ms of every run) and whose
    // tables, linked in, cost every warm run their relocation.

    Context context;
    // Whatever the engine does, it does from the start: nothing of ours may
    // outlive the exec, the speculative user namespace's processes least.
    auto handOver = [&context, argv]() {
        context.speculativeUserNamespace.reset();
        return execEngine(argv);
    };
    std::string engineNeeded = engineNeededForCaller();
    // Before parsing: most runs want this one, and its helpers then use the
    // core the parsing leaves idle. A run that wants another drops it. One
    // that cannot be made is made again, and its error reported, by the run.
    if (engineNeeded.empty())
        if (auto early = startDefaultPodUserNamespace(); early)
            context.speculativeUserNamespace.emplace(std::move(early).value());

    WarmImageSupply supply;
    context.imageSupply = &supply;
    context.handToEngine = handOver;
    Action action;
    CLI::App app{"berth: daemonless, rootless containers for appc and OCI images", "berth"};
    app.require_subcommand(1);
    app.fallthrough();
    addGlobalOptions(app, context);
    addRunCommand(app, context, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::Error&) {
        // Help, --version and mistakes: the engine knows every command and
        // says it once.
        return handOver();
    }
    if (!action) return handOver();
    if (applyGlobalOptions(context) != 0) return 125;
    if (!engineNeeded.empty()) {
        logDebug("{}: the engine runs this pod", engineNeeded);
        return handOver();
    }
    return runAction(action);
}
