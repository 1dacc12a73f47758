#include "command.hpp"

namespace berth::cli {

void addFetchCommand(CLI::App&, Context&, Action&) {}

} // namespace berth::cli
