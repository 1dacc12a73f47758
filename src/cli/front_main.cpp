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
#include <csignal>
#include <openssl/crypto.h>
#include <string>

using namespace berth;
using namespace berth::cli;

int main(int argc, char** argv)
{
    int command = commandWordIndex(argc, argv);
    if (command == argc || std::string(argv[command]) != "run") return execEngine(argv);

    limitUserLookupsToFiles();
    // As in the engine: a closed pipe is an error to report.
    std::signal(SIGPIPE, SIG_IGN);
    // The front uses OpenSSL only for SHA-256 of small blobs. Reading
    // openssl.cnf (providers, TLS policy) cost about 2 ms of every run and
    // matters only to TLS, which only the engine speaks. Nor does it need
    // OpenSSL's exit handler, which frees every table OpenSSL made: the
    // process ends there anyway, and what it frees holds no state outside
    // the process (no files, no keys of ours).
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr);

    Context context;
    WarmImageSupply supply;
    context.imageSupply = &supply;
    context.handToEngine = [argv]() { return execEngine(argv); };
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
        return execEngine(argv);
    }
    if (!action) return execEngine(argv);
    if (applyGlobalOptions(context) != 0) return 125;
    if (std::string why = engineNeededForCaller(); !why.empty()) {
        logDebug("{}: the engine runs this pod", why);
        return execEngine(argv);
    }
    return action();
}
