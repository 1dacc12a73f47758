#include <berth/appc/url_form.hpp>
#include <cctype>

namespace berth
{

namespace
{

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

Result<std::string> percentDecode(std::string_view text, bool plusIsSpace)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return Error("truncated percent escape");
            int hi = hexValue(text[i + 1]);
            int lo = hexValue(text[i + 2]);
            if (hi < 0 || lo < 0) return Error("malformed percent escape");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plusIsSpace) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

Result<std::map<std::string, std::string>> parseUrlEncodedForm(std::string_view body)
{
    std::map<std::string, std::string> form;
    while (!body.empty()) {
        auto amp = body.find('&');
        auto pair = body.substr(0, amp);
        body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        BERTH_TRY(std::string key, percentDecode(pair.substr(0, eq), true));
        std::string value;
        if (eq != std::string_view::npos) {
            BERTH_TRY(value, percentDecode(pair.substr(eq + 1), true));
        }
        if (!form.emplace(key, std::move(value)).second)
            return Error("form field '" + key + "' given twice");
    }
    return form;
}

std::string urlEncodeFormValue(std::string_view value)
{
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out;
}

} // namespace berth
