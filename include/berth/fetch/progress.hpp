#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace berth
{

// How a fetch reports what it does: bars on a terminal, one
// line per item started and finished elsewhere, nothing with --quiet.
enum class ProgressMode { Auto, Bars, Lines, Quiet };

// Progress of several concurrent downloads, written to stderr so that
// stdout carries only the result (the image ID).
class Progress
{
public:
    // Auto becomes Bars when stderr is a terminal, else Lines.
    explicit Progress(ProgressMode mode, std::FILE* out = stderr);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    ProgressMode mode() const { return mode_; }

    // Adds an item; returns its key. `total` < 0 when unknown.
    int add(std::string label, int64_t total);
    void start(int key);
    void update(int key, int64_t bytes);
    // `note`: "done", "already in the store", …
    void finish(int key, const std::string& note);
    // Redraws the bars (at most ten times a second unless forced).
    void draw(bool force = false);
    // Leaves the terminal clean: final bars drawn, cursor after them.
    void close();

    // "12.3 MiB", used by the lines too.
    static std::string humanBytes(double bytes);
    // One bar line: label, bar, bytes, rate, ETA. Width-bounded for 80 columns.
    static std::string barLine(const std::string& label, int64_t done, int64_t total,
                               double bytesPerSecond, bool finished, const std::string& note);

private:
    struct Item {
        std::string label;
        int64_t total = -1;
        int64_t done = 0;
        bool started = false;
        bool finished = false;
        std::string note;
        std::chrono::steady_clock::time_point startedAt;
        std::chrono::steady_clock::time_point finishedAt;
    };
    double rate(const Item& item) const;

    ProgressMode mode_;
    std::FILE* out_;
    std::vector<Item> items_;
    int drawnLines_ = 0;
    bool closed_ = false;
    std::chrono::steady_clock::time_point lastDraw_;
    std::chrono::steady_clock::time_point begin_;
};

} // namespace berth
