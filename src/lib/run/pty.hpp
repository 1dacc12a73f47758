#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <string>
#include <termios.h>

namespace berth
{

// stage0's end of `-t`: the user's terminal in raw mode (restored when
// dropped), and the bytes copied between it and the app's pty master.
class PtyRelay
{
public:
    PtyRelay() = default;
    PtyRelay(const PtyRelay&) = delete;
    PtyRelay& operator=(const PtyRelay&) = delete;
    ~PtyRelay();

    // Takes the master; puts our stdin in raw mode when it is a terminal and
    // copies the window size.
    Result<void> attach(UniqueFd master);
    bool attached() const { return master_.isValid(); }
    int masterFd() const { return master_.get(); }
    bool stdinOpen() const { return stdinOpen_; }

    // SIGWINCH: the new size goes to the pty (the kernel signals the app).
    void resize();
    // Copies one read's worth (call when readable); false once the master
    // reports that the app is gone.
    bool pumpOutput();
    // Copies whatever output is still buffered.
    void drain();
    void pumpInput();

private:
    UniqueFd master_;
    bool rawMode_ = false;
    bool stdinOpen_ = true;
    termios saved_{};
};

} // namespace berth
