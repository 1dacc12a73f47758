#pragma once

#include "command.hpp"

namespace berth::cli
{

// Pod commands other than run: list, status, rm, gc (one file each).
void addListCommand(CLI::App& app, Context& context, Action& action);
void addStatusCommand(CLI::App& app, Context& context, Action& action);
void addRmCommand(CLI::App& app, Context& context, Action& action);
void addGcCommand(CLI::App& app, Context& context, Action& action);
// What run will use on this machine (info.cpp).
void addInfoCommand(CLI::App& app, Context& context, Action& action);

inline void addPodCommands(CLI::App& app, Context& context, Action& action)
{
    addListCommand(app, context, action);
    addStatusCommand(app, context, action);
    addRmCommand(app, context, action);
    addGcCommand(app, context, action);
    addInfoCommand(app, context, action);
}

} // namespace berth::cli
