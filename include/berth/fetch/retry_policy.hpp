#pragma once

#include <chrono>

namespace berth
{

// When to try a request again, and how long to wait first. Registries answer
// 5xx while they restart and connections drop mid-blob; a bounded number of
// attempts with exponential backoff rides that out without hanging forever.
struct RetryPolicy {
    int maxAttempts = 5;
    std::chrono::milliseconds initialDelay{400};
    std::chrono::milliseconds maxDelay{5000};

    // The wait before attempt `attempt` (2, 3, …): initialDelay doubled each
    // time, capped at maxDelay.
    std::chrono::milliseconds delayBefore(int attempt) const;
    bool mayRetry(int attemptsMade) const { return attemptsMade < maxAttempts; }
};

// HTTP statuses worth another try: the server is busy or restarting.
bool isRetryableStatus(long status);
// libcurl result codes that mean the connection failed or dropped, as
// opposed to a certificate that does not verify or a name that does not
// resolve, which a retry will not fix.
bool isRetryableTransportError(int curlCode);

} // namespace berth
