#include "command.hpp"

namespace berth::cli {

void addImageCommand(CLI::App&, Context&, Action&) {}

} // namespace berth::cli
