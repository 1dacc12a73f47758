#pragma once

#include "command.hpp"

namespace berth::cli
{

// `berth trust [--prefix PREFIX | --root] [KEY…]`, `berth trust list`,
// `berth trust rm FINGERPRINT` (src/cli/trust.cpp).
void addTrustCommand(CLI::App& app, Context& context, Action& action);

// `berth image sign IMAGE --key KEY` (src/cli/image_sign.cpp), registered
// under `berth image` by addImageCommand.
void addImageSignCommand(CLI::App& image, Context& context, Action& action);
void addImageVerifyCommand(CLI::App& image, Context& context, Action& action);

} // namespace berth::cli
