#pragma once

#include "command.hpp"

namespace berth::cli
{

// Registry credentials, written in the auth.json format Podman and Docker
// share (src/cli/login.cpp, logout.cpp).
void addLoginCommand(CLI::App& app, Context& context, Action& action);
void addLogoutCommand(CLI::App& app, Context& context, Action& action);

} // namespace berth::cli
