#include <berth/trust/prefix.hpp>

namespace berth
{

namespace
{

constexpr size_t kMaxPrefixLength = 200;

bool isPlainByte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1; // lowercase hex is not canonical
}

} // namespace

Result<void> validatePrefix(std::string_view prefix)
{
    auto invalid = [&](const std::string& why) {
        return Error("invalid prefix '" + std::string(prefix) + "': " + why);
    };
    if (prefix.empty()) return invalid("it is empty");
    if (prefix.size() > kMaxPrefixLength)
        return invalid("longer than " + std::to_string(kMaxPrefixLength) + " bytes");
    if (prefix.find("://") != std::string_view::npos)
        return invalid("give an image name such as example.com/app, not a URL");
    for (char c : prefix)
        if (c <= ' ' || c > '~') return invalid("only printable ASCII without spaces is allowed");
    size_t start = 0;
    for (;;) {
        size_t slash = prefix.find('/', start);
        std::string_view component = prefix.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (component.empty())
            return invalid("empty path component (leading, trailing or doubled '/')");
        if (component == "." || component == "..")
            return invalid("'.' and '..' are not name components");
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return ok();
}

std::string escapePrefix(std::string_view prefix)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(prefix.size() + 8);
    for (size_t i = 0; i < prefix.size(); ++i) {
        auto c = static_cast<unsigned char>(prefix[i]);
        // A leading '.' would make "." , ".." or a hidden directory.
        if (isPlainByte(static_cast<char>(c)) && !(i == 0 && c == '.')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

Result<std::string> unescapePrefix(std::string_view name)
{
    auto invalid = [&](const char* why) {
        return Error("'" + std::string(name) + "' is not an escaped prefix: " + why);
    };
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c != '%') {
            if (!isPlainByte(c) || (i == 0 && c == '.')) return invalid("unescaped byte");
            out += c;
            continue;
        }
        if (i + 2 >= name.size()) return invalid("truncated escape");
        int high = hexValue(name[i + 1]);
        int low = hexValue(name[i + 2]);
        if (high < 0 || low < 0) return invalid("escape is not two uppercase hex digits");
        char decoded = static_cast<char>(high * 16 + low);
        if (isPlainByte(decoded) && !(out.empty() && decoded == '.'))
            return invalid("escaped byte that needs no escape");
        out += decoded;
        i += 2;
    }
    if (!validatePrefix(out)) return invalid("it decodes to an invalid prefix");
    return out;
}

std::vector<std::string> prefixChain(std::string_view name)
{
    std::vector<std::string> chain;
    std::string_view current = name;
    while (!current.empty()) {
        chain.emplace_back(current);
        size_t slash = current.rfind('/');
        if (slash == std::string_view::npos) break;
        current = current.substr(0, slash);
    }
    return chain;
}

bool prefixCovers(std::string_view prefix, std::string_view name)
{
    if (prefix.empty() || name.size() < prefix.size() || name.substr(0, prefix.size()) != prefix)
        return false;
    return name.size() == prefix.size() || name[prefix.size()] == '/';
}

} // namespace berth
