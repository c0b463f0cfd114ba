#pragma once

// Retry delays for everything that talks to a server that may be away (Chatterino's ExponentialBackoff):
// the first delay, doubled after each failure up to a cap, with up to a share of random jitter on top so
// that the clients of a relay that restarted do not all come back in the same second. Qt Core only: the
// relay and the app both use it.

#include <QtGlobal>

#include <chrono>
#include <functional>

namespace streams {

class Backoff {
public:
    struct Policy {
        std::chrono::milliseconds first{1000};
        std::chrono::milliseconds cap{60000};
        int jitterPercent = 0; // each delay gets 0 to this share of itself on top, at random

        // The delay after `failures` earlier failures, without jitter: first · 2^failures, at most cap.
        std::chrono::milliseconds base(int failures) const;
    };
    // A number in [0, bound]; QRandomGenerator::global() unless a test brings its own.
    using Random = std::function<quint32(quint32 bound)>;

    explicit Backoff(Policy policy, Random random = {});

    // The delay before the next attempt; each call counts one more failure.
    std::chrono::milliseconds next();
    // Milliseconds, for QTimer::start().
    int nextMs() { return int(next().count()); }
    // After a success: the next delay is the first one again.
    void reset() { m_failures = 0; }
    // Failures since the last reset (0: nothing has failed, the next attempt is a first one).
    int failures() const { return m_failures; }
    const Policy &policy() const { return m_policy; }

private:
    Policy m_policy;
    Random m_random;
    int m_failures = 0;
};

} // namespace streams
