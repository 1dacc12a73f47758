// SHA1_* is deprecated in OpenSSL 3 for EVP, which this file must not use
// (see sha1Hex).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <berth/base/hex.hpp>
#include <berth/store/digest.hpp>
#include <berth/trust/openpgp_fingerprint.hpp>
#include <cstdint>
#include <openssl/evp.h>
#include <openssl/sha.h>

namespace berth
{

namespace
{

constexpr int kPublicKeyTag = 6;
// A key file is small; a bound keeps hostile data from costing much.
constexpr size_t kMaxPackets = 10000;

// The binary data inside one ASCII armor block starting at `start` (the
// "-----BEGIN" line); empty when the armor is broken. `*next` is set past
// the block.
std::string dearmorBlock(std::string_view data, size_t start, size_t* next)
{
    *next = data.size();
    size_t pos = data.find('\n', start);
    if (pos == std::string_view::npos) return {};
    ++pos;
    // Armor headers ("Comment: …") end at the first empty line.
    while (pos < data.size()) {
        size_t end = data.find('\n', pos);
        if (end == std::string_view::npos) end = data.size();
        std::string_view line = data.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            pos = end + 1;
            break;
        }
        if (line.find(':') == std::string_view::npos) break; // no headers: data
        pos = end + 1;
    }
    std::string base64;
    while (pos < data.size()) {
        size_t end = data.find('\n', pos);
        if (end == std::string_view::npos) end = data.size();
        std::string_view line = data.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.starts_with("=") || line.starts_with("-----")) break; // checksum, end
        base64 += line;
    }
    *next = pos;
    if (base64.empty() || base64.size() % 4 != 0) return {};
    std::string out(base64.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(base64.data()),
                            static_cast<int>(base64.size()));
    if (n < 0) return {};
    size_t padding = base64.ends_with("==") ? 2 : base64.ends_with("=") ? 1 : 0;
    out.resize(static_cast<size_t>(n) - padding);
    return out;
}

// The binary packets of key data: each armor block's, in order, or the data
// itself when it is not armored.
std::vector<std::string> dearmor(std::string_view data)
{
    const std::string_view begin = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    std::vector<std::string> blocks;
    size_t start = data.find(begin);
    if (start == std::string_view::npos) {
        blocks.emplace_back(data);
        return blocks;
    }
    for (int count = 0; start != std::string_view::npos && count < 1000; ++count) {
        size_t next = 0;
        blocks.push_back(dearmorBlock(data, start, &next));
        start = data.find(begin, next);
    }
    return blocks;
}

// A v4 fingerprint is SHA-1, which the store's Hasher does not offer. The
// plain SHA functions, not EVP: the warm-run front links this file, and EVP
// would bring OpenSSL's provider machinery (a third of a megabyte of tables
// to relocate on every run) and, on first use, a read of openssl.cnf.
std::string sha1Hex(std::string_view prefix, std::string_view body)
{
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, prefix.data(), prefix.size());
    SHA1_Update(&ctx, body.data(), body.size());
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1_Final(digest, &ctx);
    return hexEncode(digest, sizeof digest);
}

std::string sha256Hex(std::string_view prefix, std::string_view body)
{
    Hasher hasher(DigestAlgorithm::Sha256);
    hasher.update(prefix);
    hasher.update(body);
    return hasher.finish().hex();
}

std::string fingerprintOf(std::string_view body)
{
    if (body.empty()) return {};
    auto version = static_cast<uint8_t>(body[0]);
    if (version == 4) {
        if (body.size() > 0xffff) return {};
        char prefix[3] = {static_cast<char>(0x99), static_cast<char>(body.size() >> 8),
                          static_cast<char>(body.size() & 0xff)};
        return sha1Hex(std::string_view(prefix, 3), body);
    }
    if (version == 6) {
        uint32_t n = static_cast<uint32_t>(body.size());
        char prefix[5] = {static_cast<char>(0x9b), static_cast<char>(n >> 24),
                          static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                          static_cast<char>(n)};
        return sha256Hex(std::string_view(prefix, 5), body);
    }
    return {}; // v3 keys have no such fingerprint; v5 never became a standard
}

// Appends the primary key fingerprints of one run of binary packets.
void scanPackets(const std::string& data, std::vector<std::string>& fingerprints)
{
    size_t pos = 0;
    for (size_t count = 0; pos < data.size() && count < kMaxPackets; ++count) {
        auto header = static_cast<uint8_t>(data[pos++]);
        if (!(header & 0x80)) break;
        int tag = 0;
        size_t length = 0;
        auto byte = [&](size_t i) { return static_cast<uint8_t>(data[pos + i]); };
        if (header & 0x40) { // new format
            tag = header & 0x3f;
            if (pos >= data.size()) break;
            uint8_t first = byte(0);
            if (first < 192) {
                length = first;
                pos += 1;
            } else if (first < 224) {
                if (pos + 2 > data.size()) break;
                length = (static_cast<size_t>(first - 192) << 8) + byte(1) + 192;
                pos += 2;
            } else if (first == 255) {
                if (pos + 5 > data.size()) break;
                length = static_cast<size_t>(byte(1)) << 24 | static_cast<size_t>(byte(2)) << 16 |
                         static_cast<size_t>(byte(3)) << 8 | byte(4);
                pos += 5;
            } else {
                break; // partial lengths are not used for keys
            }
        } else { // old format
            tag = (header >> 2) & 0x0f;
            int lengthType = header & 3;
            size_t bytes = lengthType == 0 ? 1 : lengthType == 1 ? 2 : lengthType == 2 ? 4 : 0;
            if (bytes == 0 || pos + bytes > data.size()) break;
            for (size_t i = 0; i < bytes; ++i)
                length = length << 8 | byte(i);
            pos += bytes;
        }
        if (length > data.size() - pos) break;
        if (tag == kPublicKeyTag) {
            std::string fpr = fingerprintOf(std::string_view(data).substr(pos, length));
            if (!fpr.empty()) fingerprints.push_back(std::move(fpr));
        }
        pos += length;
    }
}

} // namespace

std::vector<std::string> primaryKeyFingerprints(std::string_view keyData)
{
    std::vector<std::string> fingerprints;
    for (const auto& block : dearmor(keyData))
        scanPackets(block, fingerprints);
    return fingerprints;
}

} // namespace berth
