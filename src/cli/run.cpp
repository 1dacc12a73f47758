#include "command.hpp"

namespace berth::cli {

void addRunCommand(CLI::App&, Context&, Action&) {}

} // namespace berth::cli
