#include "trust_commands.hpp"

#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <berth/fetch/discovery.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/trust/fingerprint.hpp>
#include <berth/trust/keyring.hpp>
#include <berth/trust/prefix.hpp>
#include <berth/trust/public_key.hpp>
#include <cstdio>
#include <ctime>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <memory>
#include <unistd.h>

namespace berth::cli
{

namespace
{

constexpr size_t kMaxKeyBytes = 1 << 20;

struct TrustOptions {
    std::string prefix;
    bool root = false;
    bool system = false;
    bool skipReview = false;
    std::vector<std::string> keys; // files or URLs; none: discovery
};

struct ListOptions {
    std::string format = "table";
};

struct RemoveOptions {
    std::string fingerprint;
    std::string prefix;
    bool root = false;
    bool system = false;
};

// A key to review, with where it came from.
struct Candidate {
    PublicKey key;
    std::string source;
};

bool isUrl(const std::string& text)
{
    return text.starts_with("https://") || text.starts_with("http://");
}

HttpOptions httpOptions(const Context& context)
{
    HttpOptions options;
    options.verifyTls = !context.insecure.tls;
    options.allowHttp = context.insecure.http;
    return options;
}

Result<std::string> fetchKey(HttpClient& http, const std::string& url)
{
    if (url.starts_with("http://") && !http.options().allowHttp)
        return Error("refusing to fetch key '" + url +
                     "' over plain http; use https, or --insecure-options=http");
    HttpRequest request;
    request.url = url;
    request.maxResponseBytes = kMaxKeyBytes;
    BERTH_TRY(HttpResponse response, http.send(request));
    if (response.status != 200)
        return Error("fetch key '" + url + "': HTTP status " + std::to_string(response.status));
    return response.body;
}

// appc meta discovery of ac-discovery-pubkeys for `prefix`, walking up its
// components until a page names keys whose prefix covers it.
Result<std::vector<std::string>> discoverKeyUrls(HttpClient& http, const std::string& prefix)
{
    std::string tried;
    for (const auto& candidate : prefixChain(prefix)) {
        for (const char* scheme : {"https://", "http://"}) {
            if (std::string(scheme) == "http://" && !http.options().allowHttp) continue;
            std::string url = scheme + candidate + "?ac-discovery=1";
            tried += (tried.empty() ? "" : ", ") + url;
            HttpRequest request;
            request.url = url;
            auto response = http.send(request);
            if (!response) {
                logDebug("discovery: {}", response.error().message());
                continue;
            }
            if (response->status != 200) continue;
            std::vector<std::string> urls;
            for (const auto& entry : parseDiscoveryPage(response->body).pubkeys)
                if (prefixCovers(entry.prefix, prefix)) urls.push_back(entry.value);
            if (!urls.empty()) return urls;
        }
    }
    return Error("no ac-discovery-pubkeys for '" + prefix + "' found (tried " + tried +
                 "); give the key as a file or URL");
}

Result<std::vector<Candidate>> gatherKeys(Context& context, const TrustOptions& options)
{
    std::vector<std::string> sources = options.keys;
    std::unique_ptr<HttpClient> http;
    auto client = [&]() -> HttpClient& {
        if (!http) http = std::make_unique<HttpClient>(httpOptions(context));
        return *http;
    };
    if (sources.empty()) {
        if (options.root)
            return Error("a root key is trusted for every image; give it as a KEYFILE");
        BERTH_TRY(sources, discoverKeyUrls(client(), options.prefix));
    }
    std::vector<Candidate> candidates;
    for (const auto& source : sources) {
        std::string data;
        if (isUrl(source)) {
            BERTH_TRY(data, fetchKey(client(), source));
        } else {
            BERTH_TRY(data, readFile(source, kMaxKeyBytes).context("read key file"));
        }
        BERTH_TRY(auto keys, readPublicKeys(data).context("read key '" + source + "'"));
        for (auto& key : keys)
            candidates.push_back({std::move(key), source});
    }
    return candidates;
}

std::string spacedFingerprint(const std::string& fpr)
{
    std::string out;
    for (size_t i = 0; i < fpr.size(); i += 4) {
        if (i) out += (i == fpr.size() / 2) ? "  " : " ";
        for (size_t j = i; j < i + 4 && j < fpr.size(); ++j)
            out += static_cast<char>(fpr[j] >= 'a' ? fpr[j] - 'a' + 'A' : fpr[j]);
    }
    return out;
}

std::string date(int64_t when)
{
    time_t t = static_cast<time_t>(when);
    struct tm tm;
    char buffer[32];
    if (!::gmtime_r(&t, &tm) || !std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm))
        return std::to_string(when);
    return buffer;
}

std::string scopeText(const TrustOptions& options)
{
    return options.root ? "every image (root key)" : "prefix '" + options.prefix + "'";
}

// Shows the key as a user checks it against what the publisher announced.
void showKey(const Candidate& candidate, const TrustOptions& options)
{
    const PublicKey& key = candidate.key;
    fmt::print(stderr, "Trusting for {}\n", scopeText(options));
    fmt::print(stderr, "Key: {}\n", candidate.source);
    fmt::print(stderr, "GPG key fingerprint is: {}\n", spacedFingerprint(key.fingerprint));
    for (const auto& uid : key.userIds)
        fmt::print(stderr, "\t{}\n", uid);
    if (key.expires) fmt::print(stderr, "\texpires {}\n", date(key.expires));
    std::fflush(stderr);
}

// rkt asked on the terminal for every key; berth does the same, and without
// a terminal refuses rather than trusting what nobody looked at.
Result<bool> review(const Candidate& candidate, const Context& context, const TrustOptions& options)
{
    const PublicKey& key = candidate.key;
    if (key.revoked)
        return Error("key " + key.fingerprint + " from '" + candidate.source +
                     "' has been revoked; not trusting it");
    if (key.expired)
        return Error("key " + key.fingerprint + " from '" + candidate.source + "' expired on " +
                     date(key.expires) + "; not trusting it");
    if (!key.canSign)
        logWarning("key {} has no usable signing key; it will verify nothing", key.fingerprint);

    bool skip = options.skipReview || context.insecure.pubkey;
    if (skip) {
        if (!context.quiet) showKey(candidate, options);
        return true;
    }
    if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) {
        showKey(candidate, options);
        return Error("refusing to trust key " + key.fingerprint +
                     " unreviewed: there is no terminal to ask on; check the fingerprint "
                     "above with the publisher and rerun with --skip-fingerprint-review");
    }
    showKey(candidate, options);
    fmt::print(stderr, "Trust this key for {}? [y/N] ",
               options.root ? "every image" : options.prefix);
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) answer.clear();
    while (!answer.empty() && (answer.back() == '\r' || answer.back() == ' '))
        answer.pop_back();
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes";
}

int trustKeys(Context& context, const TrustOptions& options)
{
    if (options.root == !options.prefix.empty())
        return fail("give exactly one of --prefix PREFIX and --root");
    if (!options.root)
        if (auto valid = validatePrefix(options.prefix); !valid) return fail(valid.error());
    auto candidates = gatherKeys(context, options);
    if (!candidates) return fail(candidates.error());

    Keyring keyring(KeyringPaths::defaults());
    KeyStore store = options.system ? KeyStore::System : KeyStore::User;
    KeyScope scope = options.root ? KeyScope::root() : KeyScope::forPrefix(options.prefix);
    int refused = 0;
    for (const auto& candidate : *candidates) {
        auto accepted = review(candidate, context, options);
        if (!accepted) return fail(accepted.error());
        if (!*accepted) {
            logWarning("not trusting key {}", candidate.key.fingerprint);
            ++refused;
            continue;
        }
        auto added = keyring.add(store, scope, candidate.key.fingerprint, candidate.key.armored);
        if (!added)
            return fail(
                std::move(added).error().addContext("trust key " + candidate.key.fingerprint));
        if (context.quiet)
            fmt::print("{}\n", added->fingerprint);
        else
            fmt::print("Trusted key {} for {} ({})\n", added->fingerprint, scopeText(options),
                       added->path);
    }
    if (refused) return fail(fmt::format("{} key{} not trusted", refused, refused == 1 ? "" : "s"));
    return 0;
}

// User ids for listing: every key file read in one temporary GnuPG home.
std::map<std::string, std::vector<std::string>> userIdsOf(const std::vector<TrustedKey>& keys)
{
    std::map<std::string, std::vector<std::string>> out;
    std::string all;
    for (const auto& key : keys)
        if (auto data = readFile(key.path, kMaxKeyBytes)) all += *data + "\n";
    if (all.empty()) return out;
    auto parsed = readPublicKeys(all);
    if (!parsed) {
        logWarning("cannot read user ids of trusted keys: {}", parsed.error().message());
        return out;
    }
    for (const auto& key : *parsed)
        out[key.fingerprint] = key.userIds;
    return out;
}

int listKeys(Context& context, const ListOptions& options)
{
    if (options.format != "table" && options.format != "json")
        return fail("--format is table or json");
    Keyring keyring(KeyringPaths::defaults());
    auto keys = keyring.list();
    if (!keys) return fail(keys.error());
    auto userIds = userIdsOf(*keys);

    if (options.format == "json") {
        Json out = Json::array();
        for (const auto& key : *keys) {
            out.push_back({
                {"prefix", key.prefix},
                {"root", key.isRoot()},
                {"fingerprint", key.fingerprint},
                {"userIds", userIds[key.fingerprint]},
                {"store", keyStoreName(key.store)},
                {"path", key.path},
            });
        }
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    if (context.quiet) {
        for (const auto& key : *keys)
            fmt::print("{}\n", key.fingerprint);
        return 0;
    }
    std::vector<std::array<std::string, 5>> rows;
    rows.push_back({"PREFIX", "FINGERPRINT", "USER ID", "STORE", "PATH"});
    for (const auto& key : *keys) {
        const auto& uids = userIds[key.fingerprint];
        rows.push_back({key.isRoot() ? "(root)" : key.prefix, key.fingerprint,
                        uids.empty() ? "-" : uids.front(), keyStoreName(key.store), key.path});
    }
    std::array<size_t, 5> widths{};
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    for (const auto& row : rows)
        fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", row[0], widths[0], row[1], widths[1],
                   row[2], widths[2], row[3], widths[3], row[4]);
    return 0;
}

int removeKey(Context& context, const RemoveOptions& options)
{
    if (options.root && !options.prefix.empty())
        return fail("--prefix and --root exclude each other");
    KeyScope scope = options.root             ? KeyScope::root()
                     : options.prefix.empty() ? KeyScope::anywhere()
                                              : KeyScope::forPrefix(options.prefix);
    Keyring keyring(KeyringPaths::defaults());
    auto removed = keyring.remove(options.system ? KeyStore::System : KeyStore::User,
                                  options.fingerprint, scope);
    if (!removed) return fail(removed.error());
    for (const auto& key : *removed) {
        if (context.quiet)
            fmt::print("{}\n", key.fingerprint);
        else
            fmt::print("Removed key {} for {} ({})\n", key.fingerprint,
                       key.isRoot() ? "every image (root key)" : "prefix '" + key.prefix + "'",
                       key.store == KeyStore::Vendor ? "masked in " + keyring.paths().system
                                                     : key.path);
    }
    return 0;
}

} // namespace

void addTrustCommand(CLI::App& app, Context& context, Action& action)
{
    auto options = std::make_shared<TrustOptions>();
    auto* trust = app.add_subcommand(
        "trust", "Trust a signing key for an image name prefix, or list and remove trusted keys");
    trust->add_option("--prefix", options->prefix,
                      "Trust the key for images named PREFIX or below it");
    trust->add_flag("--root", options->root, "Trust the key for every image");
    trust->add_flag("--system", options->system,
                    "Write to /etc/berth/trustedkeys instead of your own keyring");
    trust->add_flag("--skip-fingerprint-review", options->skipReview,
                    "Trust without asking (required when there is no terminal)");
    trust->add_option("KEY", options->keys,
                      "Key file or https URL; none: discover the prefix's keys (appc)");
    trust->callback([&action, &context, options, trust] {
        if (trust->get_subcommands().empty())
            action = [&context, options] { return trustKeys(context, *options); };
    });

    auto listOptions = std::make_shared<ListOptions>();
    auto* list = trust->add_subcommand("list", "List trusted keys");
    list->add_option("--format", listOptions->format, "table or json");
    list->callback([&action, &context, listOptions] {
        action = [&context, listOptions] { return listKeys(context, *listOptions); };
    });

    auto removeOptions = std::make_shared<RemoveOptions>();
    auto* rm = trust->add_subcommand("rm", "Stop trusting a key");
    rm->add_option("FINGERPRINT", removeOptions->fingerprint, "The key's fingerprint")->required();
    rm->add_option("--prefix", removeOptions->prefix, "Only for this prefix");
    rm->add_flag("--root", removeOptions->root, "Only as a root key");
    rm->add_flag("--system", removeOptions->system,
                 "Remove from /etc/berth/trustedkeys (masking a distribution key)");
    rm->callback([&action, &context, removeOptions] {
        action = [&context, removeOptions] { return removeKey(context, *removeOptions); };
    });
}

} // namespace berth::cli
