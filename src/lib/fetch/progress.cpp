#include <berth/base/printable.hpp>
#include <berth/fetch/progress.hpp>
#include <fmt/format.h>
#include <unistd.h>

namespace berth
{

namespace
{

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

} // namespace

Progress::Progress(ProgressMode mode, std::FILE* out) : mode_(mode), out_(out)
{
    if (mode_ == ProgressMode::Auto)
        mode_ = ::isatty(::fileno(out_)) ? ProgressMode::Bars : ProgressMode::Lines;
    begin_ = Clock::now();
}

Progress::~Progress()
{
    close();
}

std::string Progress::humanBytes(double bytes)
{
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    return unit == 0 ? fmt::format("{:.0f} B", bytes)
                     : fmt::format("{:.1f} {}", bytes, units[unit]);
}

std::string Progress::barLine(const std::string& label, int64_t done, int64_t total,
                              double bytesPerSecond, bool finished, const std::string& note)
{
    constexpr int kBarWidth = 24;
    std::string name = label.size() > 22 ? label.substr(0, 21) + "…" : label;
    std::string bar(kBarWidth, ' ');
    if (total > 0) {
        int filled =
            static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * kBarWidth);
        filled = std::min(filled, kBarWidth);
        for (int i = 0; i < filled; ++i)
            bar[i] = '=';
        if (filled < kBarWidth && !finished) bar[filled] = '>';
    } else if (finished) {
        bar.assign(kBarWidth, '=');
    }
    std::string sizes = total >= 0 ? humanBytes(static_cast<double>(done)) + " / " +
                                         humanBytes(static_cast<double>(total))
                                   : humanBytes(static_cast<double>(done));
    std::string tail;
    if (finished)
        tail = note;
    else if (bytesPerSecond > 0) {
        tail = humanBytes(bytesPerSecond) + "/s";
        if (total > done)
            tail += fmt::format(" ETA {:.0f}s", static_cast<double>(total - done) / bytesPerSecond);
    }
    return fmt::format("{:<22} [{}] {:>21} {}", name, bar, sizes, tail);
}

int Progress::add(std::string label, int64_t total)
{
    Item item;
    // Labels may come from the network (an ACI's name, a URL): progress
    // lines bypass logMessage, so they are escaped here.
    item.label = printable(label);
    item.total = total;
    items_.push_back(std::move(item));
    return static_cast<int>(items_.size()) - 1;
}

double Progress::rate(const Item& item) const
{
    auto end = item.finished ? item.finishedAt : Clock::now();
    double s = seconds(end - item.startedAt);
    return s > 0.05 ? static_cast<double>(item.done) / s : 0.0;
}

void Progress::start(int key)
{
    Item& item = items_.at(key);
    if (item.started) return;
    item.started = true;
    item.startedAt = Clock::now();
    if (mode_ == ProgressMode::Lines)
        fmt::print(out_, "Fetching {}{}\n", item.label,
                   item.total >= 0 ? " (" + humanBytes(static_cast<double>(item.total)) + ")" : "");
    draw();
}

void Progress::update(int key, int64_t bytes)
{
    items_.at(key).done = bytes;
    draw();
}

void Progress::finish(int key, const std::string& note)
{
    Item& item = items_.at(key);
    bool wasStarted = item.started;
    if (!item.started) {
        item.started = true;
        item.startedAt = Clock::now();
        // Nothing was transferred (already in the store, not modified).
        if (item.total > 0) item.done = item.total;
    }
    item.finished = true;
    item.finishedAt = Clock::now();
    item.note = note;
    if (item.total < 0) item.total = item.done;
    if (mode_ == ProgressMode::Lines && wasStarted)
        fmt::print(out_, "Fetched {}: {} ({}, {:.1f}s)\n", item.label, note,
                   humanBytes(static_cast<double>(item.done)),
                   seconds(item.finishedAt - item.startedAt));
    else if (mode_ == ProgressMode::Lines)
        fmt::print(out_, "Skipped {}: {}\n", item.label, note);
    draw(true);
}

void Progress::draw(bool force)
{
    if (mode_ != ProgressMode::Bars || closed_ || items_.empty()) return;
    auto now = Clock::now();
    if (!force && now - lastDraw_ < std::chrono::milliseconds(100)) return;
    lastDraw_ = now;
    std::string text;
    // Back up over what we drew last time and draw every line again.
    if (drawnLines_ > 0) text += fmt::format("\x1b[{}A", drawnLines_);
    int64_t done = 0, total = 0;
    bool allFinished = true;
    for (const auto& item : items_) {
        text += "\r\x1b[K" +
                barLine(item.label, item.done, item.total, rate(item), item.finished, item.note) +
                "\n";
        done += item.done;
        total += std::max<int64_t>(item.total, item.done);
        allFinished = allFinished && item.finished;
    }
    double s = seconds(now - begin_);
    text += "\r\x1b[K" +
            barLine("total", done, total, s > 0.05 ? done / s : 0, allFinished,
                    fmt::format("{:.1f}s", s)) +
            "\n";
    drawnLines_ = static_cast<int>(items_.size()) + 1;
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
}

void Progress::close()
{
    if (closed_) return;
    draw(true);
    closed_ = true;
}

} // namespace berth
