#include <berth/base/base64.hpp>
#include <openssl/evp.h>

namespace berth
{

std::string encodeBase64(std::string_view bytes)
{
    // EVP_EncodeBlock writes 4 characters per 3 bytes and a terminating NUL.
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
    int written = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                    reinterpret_cast<const unsigned char*>(bytes.data()),
                                    static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(written));
    return out;
}

Result<std::string> decodeBase64(std::string_view text)
{
    // EVP_DecodeBlock skips leading and trailing whitespace, decodes '='
    // as zero bits and returns padded lengths, so the canonical form is
    // checked here: a well-formed length, then the decoded bytes must encode
    // back to exactly the text given.
    if (text.size() % 4 != 0) return Error("invalid base64: length is not a multiple of 4");
    size_t padding = 0;
    if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
    std::string out(text.size() / 4 * 3, '\0');
    int decoded = ::EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                    reinterpret_cast<const unsigned char*>(text.data()),
                                    static_cast<int>(text.size()));
    if (decoded < 0 || static_cast<size_t>(decoded) != out.size()) return Error("invalid base64");
    out.resize(out.size() - padding);
    if (encodeBase64(out) != text) return Error("invalid base64: not in canonical form");
    return out;
}

} // namespace berth
