#include "platform/backoff.h"

#include <QRandomGenerator>

#include <algorithm>

namespace streams {

std::chrono::milliseconds Backoff::Policy::base(int failures) const {
    // Doubling past the cap only wastes bits: stop once it is reached (also keeps 2^n from overflowing).
    std::chrono::milliseconds delay = first;
    for (int i = 0; i < failures && delay < cap; ++i)
        delay *= 2;
    return std::min(delay, cap);
}

Backoff::Backoff(Policy policy, Random random)
    : m_policy(policy)
    , m_random(std::move(random)) {
    if (!m_random)
        m_random = [](quint32 bound) { return QRandomGenerator::global()->bounded(bound + 1); };
}

std::chrono::milliseconds Backoff::next() {
    const std::chrono::milliseconds base = m_policy.base(m_failures);
    ++m_failures;
    if (m_policy.jitterPercent <= 0)
        return base;
    const auto most = quint32(base.count() * m_policy.jitterPercent / 100);
    return base + std::chrono::milliseconds(std::min(m_random(most), most));
}

} // namespace streams
