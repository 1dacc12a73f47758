#include <berth/base/printable.hpp>
#include <cstdint>

namespace berth
{

namespace
{

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not a
// valid one. The ranges are those of RFC 3629, section 4.
size_t utf8SequenceLength(std::string_view text, size_t i, char32_t* codepoint)
{
    auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
    uint8_t lead = byte(i);
    size_t length;
    char32_t cp;
    uint8_t low = 0x80, high = 0xbf;
    if (lead < 0x80) {
        *codepoint = lead;
        return 1;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        cp = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        cp = lead & 0x0f;
        if (lead == 0xe0) low = 0xa0;  // overlong
        if (lead == 0xed) high = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        cp = lead & 0x07;
        if (lead == 0xf0) low = 0x90;  // overlong
        if (lead == 0xf4) high = 0x8f; // above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
        uint8_t b = byte(i + k);
        if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xbf)) return 0;
        cp = (cp << 6) | (b & 0x3f);
    }
    *codepoint = cp;
    return length;
}

void appendHexByte(std::string& out, uint8_t b)
{
    static constexpr char digits[] = "0123456789abcdef";
    out += "\\x";
    out += digits[b >> 4];
    out += digits[b & 0xf];
}

} // namespace

std::string printable(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        size_t length = utf8SequenceLength(text, i, &cp);
        if (length == 0) {
            appendHexByte(out, static_cast<uint8_t>(text[i]));
            ++i;
            continue;
        }
        if (length == 1) {
            char c = text[i];
            switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\x1b':
                out += "\\e";
                break;
            case '\\':
                out += "\\\\";
                break;
            default:
                if (cp < 0x20 || cp == 0x7f)
                    appendHexByte(out, static_cast<uint8_t>(c));
                else
                    out += c;
            }
        } else if (cp >= 0x80 && cp <= 0x9f) {
            // C1 controls: CSI (U+009B) alone starts an escape sequence on
            // many terminals.
            static constexpr char digits[] = "0123456789abcdef";
            out += "\\u00";
            out += digits[cp >> 4];
            out += digits[cp & 0xf];
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0x200e || cp == 0x200f ||
                   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            // Line separators and bidirectional overrides: they move or hide
            // what follows on the line.
            static constexpr char digits[] = "0123456789abcdef";
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4)
                out += digits[(cp >> shift) & 0xf];
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

bool isValidUtf8(std::string_view text)
{
    for (size_t i = 0; i < text.size();) {
        char32_t cp;
        size_t length = utf8SequenceLength(text, i, &cp);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

bool isPlainText(std::string_view text)
{
    std::string doubled;
    doubled.reserve(text.size());
    for (char c : text) {
        doubled += c;
        if (c == '\\') doubled += c;
    }
    return printable(text) == doubled;
}

} // namespace berth
