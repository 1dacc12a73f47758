#include <berth/appc/http_request.hpp>
#include <berth/appc/http_response.hpp>
#include <berth/appc/url_form.hpp>
#include <doctest/doctest.h>
#include <string>

using namespace berth;
using State = HttpRequestParser::State;

namespace
{

// Feeds the text and expects failure with the status.
int failureStatus(const std::string& text, HttpLimits limits = {})
{
    HttpRequestParser parser(limits);
    auto state = parser.feed(text);
    REQUIRE(state == State::Failed);
    return parser.errorStatus();
}

} // namespace

TEST_CASE("a GET request with headers parses, whatever the chunking")
{
    const std::string text = "GET /tok/acMetadata/v1/pod/uuid?x=1 HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\nMetadata-Flavor:  AppContainer \r\n\r\n";
    for (size_t chunk : {size_t(1), size_t(7), text.size()}) {
        HttpRequestParser parser;
        State state = State::NeedMore;
        for (size_t i = 0; i < text.size(); i += chunk) {
            REQUIRE(state == State::NeedMore);
            state = parser.feed(std::string_view(text).substr(i, chunk));
        }
        REQUIRE(state == State::Complete);
        auto request = parser.take();
        CHECK(request.method == "GET");
        CHECK(request.path == "/tok/acMetadata/v1/pod/uuid");
        CHECK(request.query == "x=1");
        CHECK(request.header("metadata-flavor") == "AppContainer");
        CHECK(request.keepAlive);
        CHECK(request.body.empty());
    }
}

TEST_CASE("a POST body is read by Content-Length and pipelined requests follow")
{
    HttpRequestParser parser;
    auto state =
        parser.feed("POST /a HTTP/1.1\r\nContent-Length: 9\r\n\r\ncontent=xGET /b HTTP/1.0\n\n");
    REQUIRE(state == State::Complete);
    auto first = parser.take();
    CHECK(first.body == "content=x");
    REQUIRE(parser.poll() == State::Complete);
    auto second = parser.take();
    CHECK(second.path == "/b");
    CHECK(second.minorVersion == 0);
    CHECK_FALSE(second.keepAlive); // 1.0 without keep-alive
    CHECK(parser.poll() == State::NeedMore);
    CHECK(parser.buffered() == 0);
}

TEST_CASE("Connection: close ends keep-alive")
{
    HttpRequestParser parser;
    REQUIRE(parser.feed("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n") == State::Complete);
    CHECK_FALSE(parser.take().keepAlive);
}

TEST_CASE("hostile request lines are refused")
{
    CHECK(failureStatus("GET\r\n\r\n") == 400);
    CHECK(failureStatus("GET  / HTTP/1.1\r\n\r\n") == 400);        // double space
    CHECK(failureStatus("GET / HTTP/1.1 x\r\n\r\n") == 400);       // extra field
    CHECK(failureStatus("GET http://x/ HTTP/1.1\r\n\r\n") == 400); // absolute form
    CHECK(failureStatus("GET /a\x01 HTTP/1.1\r\n\r\n") == 400);    // control in target
    CHECK(failureStatus("G(T / HTTP/1.1\r\n\r\n") == 400);         // not a token
    CHECK(failureStatus("GET / HTTP/2.0\r\n\r\n") == 505);
    CHECK(failureStatus("GET / FTP/1.1\r\n\r\n") == 400);
    CHECK(failureStatus(std::string("GET /\0 HTTP/1.1\r\n\r\n", 19)) == 400);
}

TEST_CASE("hostile headers are refused")
{
    CHECK(failureStatus("GET / HTTP/1.1\r\nNoColon\r\n\r\n") == 400);
    CHECK(failureStatus("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n") == 400);
    CHECK(failureStatus("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400);
    CHECK(failureStatus("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n") == 400);
    CHECK(failureStatus("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
    CHECK(failureStatus("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n") == 400);
    CHECK(failureStatus("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") ==
          400);
    CHECK(failureStatus("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
          400);
    CHECK(failureStatus("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 501);
}

TEST_CASE("sizes are bounded before anything is buffered beyond them")
{
    HttpLimits limits;
    limits.maxHeadBytes = 256;
    limits.maxHeaders = 4;
    limits.maxBodyBytes = 16;
    CHECK(failureStatus("GET /" + std::string(300, 'a'), limits) == 414);
    CHECK(failureStatus("GET / HTTP/1.1\r\nX: " + std::string(300, 'a'), limits) == 431);
    CHECK(failureStatus("GET / HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n", limits) ==
          431);
    CHECK(failureStatus("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", limits) == 413);
    CHECK(failureStatus(std::string(300, '\n'), limits) == 400);

    // An endless header sent byte by byte fails as soon as it passes the bound.
    HttpRequestParser parser(limits);
    REQUIRE(parser.feed("GET / HTTP/1.1\r\nX: ") == State::NeedMore);
    State state = State::NeedMore;
    size_t sent = 0;
    while (state == State::NeedMore && sent < 10000) {
        state = parser.feed("a");
        ++sent;
    }
    CHECK(state == State::Failed);
    CHECK(parser.buffered() <= limits.maxHeadBytes + 1);
}

TEST_CASE("a failed parser stays failed")
{
    HttpRequestParser parser;
    REQUIRE(parser.feed("BAD\r\n\r\n") == State::Failed);
    CHECK(parser.feed("GET / HTTP/1.1\r\n\r\n") == State::Failed);
}

TEST_CASE("responses carry length, type and reason")
{
    auto wire =
        serializeHttpResponse(MetadataResponse::text(200, "abc", "text/plain; charset=us-ascii"));
    CHECK(wire.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(wire.find("Content-Type: text/plain; charset=us-ascii\r\n") != std::string::npos);
    CHECK(wire.find("Content-Length: 3\r\n") != std::string::npos);
    CHECK(wire.ends_with("\r\n\r\nabc"));
    auto head = serializeHttpResponse(MetadataResponse::text(200, "abc"), true);
    CHECK(head.ends_with("Content-Length: 3\r\nCache-Control: no-store\r\n\r\n"));
    auto closing = MetadataResponse::error(404, "");
    closing.close = true;
    wire = serializeHttpResponse(closing);
    CHECK(wire.starts_with("HTTP/1.1 404 Not Found\r\n"));
    CHECK(wire.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("form bodies decode, and ambiguity is refused")
{
    auto form = parseUrlEncodedForm("content=Old+MacDonald%21&uuid=a-b&empty=&bare");
    REQUIRE(form);
    CHECK(form->at("content") == "Old MacDonald!");
    CHECK(form->at("uuid") == "a-b");
    CHECK(form->at("empty").empty());
    CHECK(form->at("bare").empty());
    CHECK_FALSE(parseUrlEncodedForm("a=1&a=2"));
    CHECK_FALSE(parseUrlEncodedForm("a=%4"));
    CHECK_FALSE(parseUrlEncodedForm("a=%zz"));
    CHECK_FALSE(percentDecode("%"));
    CHECK(percentDecode("a+b").value() == "a+b");
    CHECK(percentDecode("%2Fx%2f").value() == "/x/");
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    CHECK(percentDecode(urlEncodeFormValue(all), true).value() == all);
}
