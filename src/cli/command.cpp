#include "command.hpp"

#include <berth/base/log.hpp>
#include <berth/store/system_store.hpp>

namespace berth::cli
{

Result<InsecureOptions> InsecureOptions::parse(const std::string& text)
{
    InsecureOptions options;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string word =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (word == "image")
            options.image = true;
        else if (word == "tls")
            options.tls = true;
        else if (word == "http")
            options.http = true;
        else if (word == "pubkey")
            options.pubkey = true;
        else if (word == "all")
            options.image = options.tls = options.http = options.pubkey = true;
        else if (word != "none" && !word.empty())
            return Error("--insecure-options: unknown value '" + word +
                         "' (use none, image, tls, http, pubkey or all, comma-separated)");
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return options;
}

Result<Store*> Context::store()
{
    if (!store_) {
        BERTH_TRY(store_, openChosenStore(root, storeText));
    }
    return store_.get();
}

int fail(const Error& error)
{
    logError("{}", error.message());
    return 125;
}

int fail(const std::string& message)
{
    return fail(Error(message));
}

} // namespace berth::cli
