#include <berth/fetch/retry_policy.hpp>
#include <curl/curl.h>

namespace berth
{

std::chrono::milliseconds RetryPolicy::delayBefore(int attempt) const
{
    if (attempt <= 1) return std::chrono::milliseconds(0);
    auto delay = initialDelay;
    for (int i = 2; i < attempt && delay < maxDelay; ++i)
        delay *= 2;
    return delay < maxDelay ? delay : maxDelay;
}

bool isRetryableStatus(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

bool isRetryableTransportError(int curlCode)
{
    switch (static_cast<CURLcode>(curlCode)) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

} // namespace berth
