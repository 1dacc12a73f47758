#include "fetch_commands.hpp"

#include <berth/fetch/registry_login.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace berth::cli
{

namespace
{

struct LoginOptions {
    std::string registry;
    std::string username;
    std::string password;
    bool passwordStdin = false;
    std::string authFile;
};

// Reads one line from the terminal, without echo for secrets.
std::string prompt(const char* label, bool secret)
{
    fmt::print(stderr, "{}", label);
    std::fflush(stderr);
    termios saved{};
    bool restore = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (restore) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (restore) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fmt::print(stderr, "\n");
    }
    return line;
}

int login(Context& context, LoginOptions options)
{
    bool tty = ::isatty(STDIN_FILENO);
    if (options.passwordStdin) {
        if (!options.password.empty())
            return fail("--password and --password-stdin exclude each other");
        std::getline(std::cin, options.password);
        if (!options.password.empty() && options.password.back() == '\r')
            options.password.pop_back();
    }
    if (options.username.empty()) {
        if (!tty || options.passwordStdin) return fail("login: no username; pass --username");
        options.username = prompt("Username: ", false);
    }
    if (options.password.empty() && !options.passwordStdin) {
        if (!tty) return fail("login: no password; pass --password-stdin");
        options.password = prompt("Password: ", true);
    }
    FetchOptions fetch;
    fetch.insecureTls = context.insecure.tls;
    fetch.allowHttp = context.insecure.http;
    fetch.authFile = options.authFile;
    auto file = loginToRegistry(options.registry, options.username, options.password, fetch);
    if (!file) return fail(file.error());
    if (!context.quiet) fmt::print("Login Succeeded (credentials in {})\n", *file);
    return 0;
}

} // namespace

void addLoginCommand(CLI::App& app, Context& context, Action& action)
{
    auto options = std::make_shared<LoginOptions>();
    auto* cmd = app.add_subcommand(
        "login", "Log in to a registry; credentials go to auth.json as Podman writes it");
    cmd->add_option("REGISTRY", options->registry, "Registry host[:port]")->required();
    cmd->add_option("-u,--username", options->username, "User name");
    cmd->add_option("-p,--password", options->password,
                    "Password (visible to other users in ps; prefer --password-stdin)");
    cmd->add_flag("--password-stdin", options->passwordStdin, "Read the password from stdin");
    cmd->add_option("--authfile", options->authFile,
                    "Credentials file (default: $XDG_RUNTIME_DIR/containers/auth.json)");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return login(context, *options); };
    });
}

} // namespace berth::cli
