#include "image_commands.hpp"

#include <algorithm>
#include <berth/base/json.hpp>
#include <berth/base/printable.hpp>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <memory>

namespace berth::cli
{

namespace
{

struct ListOptions {
    std::string format;
    bool noLegend = false;
};

// Sizes as Podman shows them: three significant digits, decimal units.
std::string humanSize(int64_t bytes)
{
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double size = static_cast<double>(bytes);
    size_t unit = 0;
    while (size >= 1000 && unit + 1 < std::size(units)) {
        size /= 1000;
        ++unit;
    }
    return fmt::format("{:.3g} {}", size, units[unit]);
}

// "2 minutes ago", in the words Podman (go-units) uses.
std::string relativeTime(int64_t then, int64_t now)
{
    int64_t seconds = std::max<int64_t>(0, now - then);
    int64_t minutes = seconds / 60, hours = minutes / 60;
    std::string d;
    if (seconds < 1) return "Less than a second ago";
    if (seconds == 1)
        d = "1 second";
    else if (seconds < 60)
        d = fmt::format("{} seconds", seconds);
    else if (minutes == 1)
        d = "About a minute";
    else if (minutes < 60)
        d = fmt::format("{} minutes", minutes);
    else if (static_cast<int64_t>(std::llround(seconds / 3600.0)) == 1)
        d = "About an hour";
    else if (hours < 48)
        d = fmt::format("{} hours", hours);
    else if (hours < 24 * 7 * 2)
        d = fmt::format("{} days", hours / 24);
    else if (hours < 24 * 30 * 2)
        d = fmt::format("{} weeks", hours / 24 / 7);
    else if (hours < 24 * 365 * 2)
        d = fmt::format("{} months", hours / 24 / 30);
    else
        d = fmt::format("{} years", hours / 24 / 365);
    return d + " ago";
}

std::string shortId(const std::string& id)
{
    auto sep = id.find_first_of(":-");
    std::string hex = sep == std::string::npos ? id : id.substr(sep + 1);
    return hex.substr(0, 12);
}

int list(Context& context, const ListOptions& options)
{
    if (!options.format.empty() && options.format != "json" && options.format != "table")
        return fail("--format '" + options.format + "': use json or table");
    auto store = context.store();
    if (!store) return fail(store.error());
    auto images = (*store)->index().list();
    if (!images) return fail(images.error());
    std::sort(images->begin(), images->end(),
              [](const auto& a, const auto& b) { return a.importedAt > b.importedAt; });

    struct Row {
        std::string name, tag;
        const ImageRecord* image;
    };
    std::vector<Row> rows;
    Json json = Json::array();
    for (const auto& image : *images) {
        auto names = (*store)->index().namesOf(image.id);
        if (!names) return fail(names.error());
        Json entry = {{"id", image.id},
                      {"names", *names},
                      {"format", imageFormatName(image.format)},
                      {"size", image.size},
                      {"imported", image.importedAt},
                      {"source", image.source}};
        json.push_back(std::move(entry));
        if (names->empty()) rows.push_back({"<none>", "<none>", &image});
        for (const auto& full : *names) {
            auto slash = full.rfind('/');
            auto colon = full.rfind(':');
            if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
                rows.push_back({full.substr(0, colon), full.substr(colon + 1), &image});
            else
                rows.push_back({full, "", &image});
        }
    }
    if (options.format == "json") {
        fmt::print("{}\n", json.dump(4));
        return 0;
    }
    if (context.quiet) {
        for (const auto& image : *images)
            fmt::print("{}\n", printable(shortId(image.id)));
        return 0;
    }
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::vector<std::array<std::string, 5>> cells;
    if (!options.noLegend) cells.push_back({"NAME", "TAG/VERSION", "ID", "SIZE", "IMPORTED"});
    for (const auto& row : rows)
        // Names come from images: escaped, so that one cannot clear the
        // screen or forge a row.
        cells.push_back({printable(row.name), printable(row.tag), printable(shortId(row.image->id)),
                         humanSize(row.image->size), relativeTime(row.image->importedAt, now)});
    std::array<size_t, 5> widths{};
    for (const auto& c : cells)
        for (size_t i = 0; i < c.size(); ++i)
            widths[i] = std::max(widths[i], c[i].size());
    for (const auto& c : cells) {
        std::string line;
        for (size_t i = 0; i < c.size(); ++i)
            line += i + 1 < c.size() ? fmt::format("{:<{}}   ", c[i], widths[i]) : c[i];
        fmt::print("{}\n", line);
    }
    return 0;
}

} // namespace

void addImageListCommand(CLI::App& image, Context& context, Action& action)
{
    auto options = std::make_shared<ListOptions>();
    auto* cmd = image.add_subcommand("list", "List the images in the store");
    cmd->alias("ls");
    cmd->add_option("--format", options->format, "Output format: table (default) or json");
    cmd->add_flag("--no-legend", options->noLegend, "Do not print the header line");
    cmd->callback([&action, &context, options] {
        action = [&context, options] { return list(context, *options); };
    });
}

} // namespace berth::cli
