#pragma once

#include <string_view>

namespace berth
{

// Test-only (compiled in with -Dfault_hooks=true, never in a release build):
// when BERTH_FAULT names `stage`, the stage, with its sandbox applied, tries
// what it must not do and reports each errno on stderr as
//   berth: fault-hook STAGE ACTION TARGET: ERRNAME
// (or "SUCCEEDED"), then goes on with its real work:
//   BERTH_FAULT_WRITE=PATH    append a line to PATH (default $HOME/.bashrc)
//   BERTH_FAULT_READ=PATH     open PATH for reading (a trusted key file)
//   BERTH_FAULT_CONNECT=PORT  TCP connect to 127.0.0.1:PORT
// Without fault hooks compiled in this does nothing.
void runFaultHook(std::string_view stage);

// True when this build has fault hooks.
bool faultHooksBuiltIn();

} // namespace berth
