#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/trust/lookaside.hpp>
#include <berth/trust/prefix.hpp>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <yaml.h>

namespace berth
{

namespace
{

constexpr int kMaxSignatures = 64;

// Aliases let a few lines name a node many times over ("billion laughs":
// each level of `&a [*b, *b]` doubles the tree), so the conversion counts
// every node it produces and gives up past this many. A registries.d file
// has tens.
constexpr size_t kMaxYamlNodes = 10000;

// A libyaml document as JSON: mappings become objects, sequences arrays,
// scalars strings. registries.d needs nothing more. `budget` is the nodes
// left to produce; at 0 the result is incomplete and the caller refuses it.
Json nodeToJson(yaml_document_t* doc, yaml_node_t* node, int depth, size_t& budget)
{
    if (!node || depth > 32 || budget == 0) return nullptr;
    --budget;
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return std::string(reinterpret_cast<const char*>(node->data.scalar.value),
                           node->data.scalar.length);
    case YAML_SEQUENCE_NODE: {
        Json out = Json::array();
        for (auto* item = node->data.sequence.items.start;
             item < node->data.sequence.items.top && budget > 0; ++item)
            out.push_back(nodeToJson(doc, yaml_document_get_node(doc, *item), depth + 1, budget));
        return out;
    }
    case YAML_MAPPING_NODE: {
        Json out = Json::object();
        for (auto* pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top && budget > 0; ++pair) {
            Json key = nodeToJson(doc, yaml_document_get_node(doc, pair->key), depth + 1, budget);
            if (key.is_string())
                out[key.get<std::string>()] =
                    nodeToJson(doc, yaml_document_get_node(doc, pair->value), depth + 1, budget);
        }
        return out;
    }
    default:
        return nullptr;
    }
}

Result<Json> parseYaml(std::string_view text, const std::string& what)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return Error("initialize YAML parser");
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
        std::string problem = parser.problem ? parser.problem : "malformed YAML";
        size_t line = parser.problem_mark.line + 1;
        yaml_parser_delete(&parser);
        return Error(what + ": line " + std::to_string(line) + ": " + problem);
    }
    size_t budget = kMaxYamlNodes + 1;
    Json out = nodeToJson(&doc, yaml_document_get_root_node(&doc), 0, budget);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (budget == 0)
        return Error(what + ": more than " + std::to_string(kMaxYamlNodes) +
                     " YAML nodes (aliases expanding without bound?)");
    return out;
}

std::optional<std::string> lookasideOf(const Json& entry)
{
    if (!entry.is_object()) return std::nullopt;
    for (const char* key : {"lookaside", "sigstore"})
        if (auto it = entry.find(key); it != entry.end() && it->is_string())
            return it->get<std::string>();
    return std::nullopt;
}

} // namespace

std::string defaultRegistriesDirectory()
{
    std::string home;
    if (const char* h = std::getenv("HOME"); h && h[0] == '/') home = h;
    std::string user = home + "/.config/containers/registries.d";
    if (!home.empty() && pathExists(user)) return user;
    return "/etc/containers/registries.d";
}

Result<void> parseRegistriesYaml(std::string_view yaml, const std::string& what,
                                 LookasideConfig& config)
{
    BERTH_TRY(Json json, parseYaml(yaml, what));
    if (json.is_null()) return ok(); // an empty file
    if (!json.is_object()) return Error(what + ": expected a mapping at the top");
    if (auto it = json.find("default-docker"); it != json.end()) {
        if (auto url = lookasideOf(*it)) {
            if (!config.defaultLookaside.empty())
                return Error(what + ": default-docker is configured twice");
            config.defaultLookaside = *url;
        }
    }
    if (auto it = json.find("docker"); it != json.end() && it->is_object()) {
        for (const auto& [scope, entry] : it->items()) {
            auto url = lookasideOf(entry);
            if (!url) continue;
            if (config.scopes.count(scope))
                return Error(what + ": scope '" + scope + "' is configured twice");
            config.scopes[scope] = *url;
        }
    }
    return ok();
}

Result<LookasideConfig> readRegistriesDirectory(const std::string& dir)
{
    LookasideConfig config;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return config;
        return Error::fromErrno("read '" + dir + "'");
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.size() > 5 && name.ends_with(".yaml")) names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        BERTH_TRY(std::string text, readFile(dir + "/" + name, 1 << 20));
        BERTH_CHECK(parseRegistriesYaml(text, dir + "/" + name, config));
    }
    return config;
}

std::optional<std::string> lookasideFor(const LookasideConfig& config,
                                        const std::string& repository)
{
    for (const auto& scope : prefixChain(repository))
        if (auto it = config.scopes.find(scope); it != config.scopes.end()) return it->second;
    if (!config.defaultLookaside.empty()) return config.defaultLookaside;
    return std::nullopt;
}

std::string lookasideSignatureUrl(const std::string& lookaside, const std::string& repository,
                                  const Digest& manifestDigest, int index)
{
    std::string base = lookaside;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    size_t slash = repository.find('/');
    std::string path = slash == std::string::npos ? repository : repository.substr(slash + 1);
    return base + "/" + path + "@" + manifestDigest.algorithmName() + "=" + manifestDigest.hex() +
           "/signature-" + std::to_string(index);
}

Result<std::vector<std::string>> readFileLookaside(const std::string& lookaside,
                                                   const std::string& repository,
                                                   const Digest& manifestDigest)
{
    if (!lookaside.starts_with("file://"))
        return Error("'" + lookaside + "' is not a file:// lookaside");
    std::vector<std::string> signatures;
    for (int index = 1; index <= kMaxSignatures; ++index) {
        std::string url = lookasideSignatureUrl(lookaside, repository, manifestDigest, index);
        auto data = readFile(url.substr(7), 1 << 20);
        if (!data) {
            if (data.error().errnum() == ENOENT) break;
            return std::move(data).error();
        }
        signatures.push_back(std::move(*data));
    }
    return signatures;
}

} // namespace berth
