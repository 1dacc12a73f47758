#pragma once

#include <CLI/CLI.hpp>
#include <berth/base/result.hpp>
#include <berth/run/image_supply.hpp>
#include <berth/stage/early_user_namespace.hpp>
#include <berth/store/store.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace berth::cli
{

// What --insecure-options turned off, for this invocation only.
struct InsecureOptions {
    bool image = false;  // run images without a verified signature
    bool tls = false;    // accept TLS certificates that do not verify
    bool http = false;   // allow plain HTTP
    bool pubkey = false; // accept keys from discovery without review

    static Result<InsecureOptions> parse(const std::string& text);
};

// Options every command shares, and the store opened on first use.
class Context
{
public:
    std::string root;
    std::string storeText; // --store: user or system
    std::string insecureText = "none";
    bool debug = false;
    bool quiet = false;
    InsecureOptions insecure;
    // How `run` gets images: each main sets its own (the front's takes only
    // what is ready; the engine's fetches and renders).
    ImageSupply* imageSupply = nullptr;
    // Set by the front only: replaces this process with the engine, which
    // runs the whole invocation again from the start.
    std::function<int()> handToEngine;
    // Set by the front only: the user namespace a run most likely wants,
    // started before parsing (startDefaultPodUserNamespace).
    std::optional<EarlyUserNamespace> speculativeUserNamespace;

    Result<Store*> store();

private:
    std::unique_ptr<Store> store_;
};

// A command's parse step records what to run; main runs it after parsing so
// that every error becomes one line and an exit code.
using Action = std::function<int()>;

// Prints "berth: MESSAGE" and returns 125, berth's own failure status.
int fail(const Error& error);
int fail(const std::string& message);
// Runs a command's action; an exception escaping it becomes fail().
int runAction(const Action& action);

// --root, --insecure-options, --debug, --quiet and --version, shared by
// the front and the engine.
void addGlobalOptions(CLI::App& app, Context& context);
// After parsing: log level and --insecure-options. Returns 0, or berth's
// failure status after printing why.
int applyGlobalOptions(Context& context);
// The index in argv of the command word (the first word that is not a
// global option or its value), or argc when there is none.
int commandWordIndex(int argc, char** argv);

// Each command file adds itself to the parser.
void addVersionCommand(CLI::App& app, Context& context, Action& action);
void addFetchCommand(CLI::App& app, Context& context, Action& action);
void addImageCommand(CLI::App& app, Context& context, Action& action);
void addRunCommand(CLI::App& app, Context& context, Action& action);
void addSystemCommand(CLI::App& app, Context& context, Action& action);

} // namespace berth::cli
