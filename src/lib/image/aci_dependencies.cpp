#include <algorithm>
#include <berth/image/aci_dependencies.hpp>
#include <berth/image/aci_manifest.hpp>
#include <map>
#include <set>

namespace berth
{

namespace
{

// Dependencies reach further than this only by mistake (or by design of an
// attacker); rkt has no such chains either.
constexpr size_t kMaxDepth = 64;

std::string shownName(const ImageRecord& image)
{
    if (image.name.empty()) return image.id;
    return image.tag.empty() || image.tag == "latest" ? image.name : image.name + ":" + image.tag;
}

std::string describe(const AciDependency& dependency)
{
    std::string text = dependency.name;
    if (dependency.imageId) return text + "@" + *dependency.imageId;
    std::string labels;
    for (const auto& [name, value] : dependency.labels) {
        if (!labels.empty()) labels += ", ";
        labels += name + "=" + value;
    }
    return labels.empty() ? text : text + " (" + labels + ")";
}

// Does `candidate` carry every label the dependency asks for? "version"
// also matches the tag, which import sets from that label.
Result<bool> labelsMatch(Store& store, const ImageRecord& candidate,
                         const AciDependency& dependency)
{
    std::optional<AciImageManifest> manifest;
    for (const auto& [name, value] : dependency.labels) {
        if (name == "version" && candidate.tag == value) continue;
        if (!manifest) {
            auto read = readAciManifest(store, candidate);
            if (!read) return std::move(read).error();
            manifest = std::move(*read);
        }
        auto have = manifest->label(name);
        if (!have || *have != value) return false;
    }
    return true;
}

Error missing(const AciDependency& dependency, std::string_view dependent)
{
    return Error("dependency '" + describe(dependency) + "' of '" + std::string(dependent) +
                 "' is not in the store; fetch it first");
}

struct Walk {
    Store& store;
    std::vector<ImageRecord> order;
    std::set<std::string> done;
    std::vector<std::string> stack; // names on the current path, for messages
    std::set<std::string> onStack;  // ids on the current path

    Result<void> visit(const ImageRecord& image)
    {
        if (done.count(image.id)) return ok();
        if (onStack.count(image.id)) {
            std::string chain;
            for (const auto& name : stack)
                chain += name + " -> ";
            return Error("ACI dependency cycle: " + chain + shownName(image));
        }
        if (stack.size() >= kMaxDepth)
            return Error("ACI dependencies of '" + stack.front() + "' nest deeper than " +
                         std::to_string(kMaxDepth));
        stack.push_back(shownName(image));
        onStack.insert(image.id);
        for (const auto& dependency : image.dependencies) {
            BERTH_TRY(ImageRecord found, findAciDependency(store, dependency, shownName(image)));
            BERTH_CHECK(visit(found));
        }
        onStack.erase(image.id);
        stack.pop_back();
        done.insert(image.id);
        order.push_back(image);
        return ok();
    }
};

} // namespace

Result<ImageRecord> findAciDependency(Store& store, const AciDependency& dependency,
                                      std::string_view dependent)
{
    BERTH_TRY(std::vector<ImageRecord> all, store.index().list());
    std::vector<ImageRecord> matches;
    if (dependency.imageId) {
        for (auto& record : all)
            if (record.format == ImageFormat::Aci && record.id.starts_with(*dependency.imageId))
                matches.push_back(std::move(record));
        if (matches.size() > 1)
            return Error("dependency '" + describe(dependency) + "' of '" + std::string(dependent) +
                         "' matches " + std::to_string(matches.size()) +
                         " stored images; its image ID is too short");
        if (matches.empty()) return missing(dependency, dependent);
        return std::move(matches.front());
    }
    for (auto& record : all) {
        if (record.format != ImageFormat::Aci || record.name != dependency.name) continue;
        BERTH_TRY(bool match, labelsMatch(store, record, dependency));
        if (match) matches.push_back(std::move(record));
    }
    if (matches.empty()) return missing(dependency, dependent);
    // Several versions fit when the dependency names none: take the newest,
    // as appc discovery would fetch the latest.
    return std::move(*std::max_element(
        matches.begin(), matches.end(),
        [](const ImageRecord& a, const ImageRecord& b) { return a.importedAt < b.importedAt; }));
}

Result<std::vector<ImageRecord>> resolveAciDependencies(Store& store, const ImageRecord& image)
{
    if (image.format != ImageFormat::Aci) return std::vector<ImageRecord>{image};
    Walk walk{store, {}, {}, {}, {}};
    BERTH_CHECK(walk.visit(image));
    return std::move(walk.order);
}

} // namespace berth
