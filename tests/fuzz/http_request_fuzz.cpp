// The metadata service's HTTP request parser: its peer is any app in the
// pod. The bytes are parsed twice, at once and in small pieces as a slow
// client would send them; both must read the same requests.
#include "fuzz_input.hpp"

#include <berth/appc/http_request.hpp>
#include <string>
#include <vector>

namespace
{

struct Outcome {
    std::vector<berth::MetadataRequest> requests;
    berth::HttpRequestParser::State last;
};

// Takes every complete request, as the server's connection loop does.
void drain(berth::HttpRequestParser& parser, berth::HttpRequestParser::State state, Outcome& out)
{
    while (state == berth::HttpRequestParser::State::Complete) {
        out.requests.push_back(parser.take());
        state = parser.poll();
    }
    out.last = state;
}

Outcome parse(std::string_view input, size_t piece)
{
    berth::HttpRequestParser parser;
    Outcome out{{}, berth::HttpRequestParser::State::NeedMore};
    for (size_t at = 0; at < input.size(); at += piece) {
        drain(parser, parser.feed(input.substr(at, piece)), out);
        if (out.last == berth::HttpRequestParser::State::Failed) break;
    }
    return out;
}

bool same(const berth::MetadataRequest& a, const berth::MetadataRequest& b)
{
    return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query &&
           a.minorVersion == b.minorVersion && a.headers == b.headers && a.body == b.body &&
           a.keepAlive == b.keepAlive;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0) return 0;
    // The first byte chooses the piece size; the rest is the stream.
    size_t piece = 1 + data[0] % 16;
    auto input = berth::fuzz::text(data + 1, size - 1);
    Outcome whole = parse(input, input.size() + 1);
    Outcome pieces = parse(input, piece);
    if (whole.last != pieces.last || whole.requests.size() != pieces.requests.size())
        __builtin_trap();
    for (size_t i = 0; i < whole.requests.size(); ++i)
        if (!same(whole.requests[i], pieces.requests[i])) __builtin_trap();
    return 0;
}
