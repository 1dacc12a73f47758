#include <berth/trust/fingerprint.hpp>

namespace berth
{

bool isNormalFingerprint(std::string_view text)
{
    if (text.size() != 40 && text.size() != 64) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

Result<std::string> normalizeFingerprint(std::string_view text)
{
    std::string out;
    std::string_view rest = text;
    if (rest.starts_with("0x") || rest.starts_with("0X")) rest.remove_prefix(2);
    for (char c : rest) {
        if (c == ' ') continue;
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        out += c;
    }
    if (!isNormalFingerprint(out))
        return Error("'" + std::string(text) +
                     "' is not a key fingerprint (40 or 64 hex digits, as 'gpg "
                     "--fingerprint' prints it)");
    return out;
}

} // namespace berth
