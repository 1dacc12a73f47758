#include "command.hpp"

#include "config.h"

#include <berth/base/log.hpp>
#include <berth/store/system_store.hpp>

namespace berth::cli
{

Result<InsecureOptions> InsecureOptions::parse(const std::string& text)
{
    InsecureOptions options;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string word =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (word == "image")
            options.image = true;
        else if (word == "tls")
            options.tls = true;
        else if (word == "http")
            options.http = true;
        else if (word == "pubkey")
            options.pubkey = true;
        else if (word == "all")
            options.image = options.tls = options.http = options.pubkey = true;
        else if (word != "none" && !word.empty())
            return Error("--insecure-options: unknown value '" + word +
                         "' (use none, image, tls, http, pubkey or all, comma-separated)");
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return options;
}

Result<Store*> Context::store()
{
    if (!store_) {
        BERTH_TRY(store_, openChosenStore(root, storeText));
    }
    return store_.get();
}

void addGlobalOptions(CLI::App& app, Context& context)
{
    app.set_version_flag("--version", std::string(BERTH_VERSION));
    app.add_option("--root", context.root, "Store directory (default: ~/.local/share/berth)");
    app.add_option("--store", context.storeText,
                   "user (your own store) or system (/var/lib/berth, shared by group berth)");
    app.add_option("--insecure-options", context.insecureText,
                   "Checks to skip: none, image, tls, http, pubkey, all (comma-separated)");
    app.add_flag("--debug", context.debug, "Print debug messages");
    app.add_flag("-q,--quiet", context.quiet, "Print only results (an image ID, a UUID)");
}

int applyGlobalOptions(Context& context)
{
    if (context.debug)
        setLogLevel(LogLevel::Debug);
    else if (context.quiet)
        setLogLevel(LogLevel::Warning);
    auto insecure = InsecureOptions::parse(context.insecureText);
    if (!insecure) return fail(insecure.error());
    context.insecure = *insecure;
    return 0;
}

int commandWordIndex(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        // The global options that take a separate value.
        if (word == "--root" || word == "--store" || word == "--insecure-options") {
            ++i;
            continue;
        }
        if (!word.starts_with("-")) return i;
    }
    return argc;
}

int fail(const Error& error)
{
    logError("{}", error.message());
    return 125;
}

int fail(const std::string& message)
{
    return fail(Error(message));
}

int runAction(const Action& action)
{
    // Errors are values; an exception that gets here is a bug (most likely
    // the JSON library refusing bytes nobody checked). It still ends as
    // one line and 125, not as an abort with a core dump.
    try {
        return action();
    } catch (const std::exception& e) {
        return fail(std::string("internal error: ") + e.what());
    }
}

} // namespace berth::cli
