#pragma once

// Counters shared by every relay thread, written lock-free and rendered as Prometheus text.

#include <QByteArray>

#include <array>
#include <atomic>
#include <chrono>

namespace streams::relay {

inline qint64 monotonicNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

class Metrics {
    static constexpr std::array<double, 11> kBucketsMs = {0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};

public:
    // Deliveries counted by one thread (no shared counters per client) and added at once.
    struct DeliveryTally {
        qint64 count = 0;
        qint64 latencySumNs = 0;
        std::array<qint64, kBucketsMs.size() + 1> buckets{};
        void add(qint64 latencyNs); // 0: replayed (counted, no live latency)
    };
    enum class Webhook { Notification, Verification, Revocation, Unknown, Count_ };
    enum class Outcome { Accepted, Duplicate, Rejected, Failed, Count_ };

    void webhook(Webhook type, Outcome outcome) { m_webhooks[index(type, outcome)].fetch_add(1, relaxed); }
    void signatureFailure() { m_signatureFailures.fetch_add(1, relaxed); }
    void clientConnected() { m_clients.fetch_add(1, relaxed); }
    void clientDisconnected() { m_clients.fetch_sub(1, relaxed); }
    void eventsStored(qint64 n) { m_eventsStored.fetch_add(n, relaxed); }
    void delivered(qint64 latencyNs);
    void delivered(const DeliveryTally &tally);
    void replayed(qint64 n) { m_replayed.fetch_add(n, relaxed); }
    void clientError() { m_clientErrors.fetch_add(1, relaxed); }

    qint64 clients() const { return m_clients.load(relaxed); }
    qint64 deliveries() const { return m_deliveries.load(relaxed); }
    QByteArray prometheus() const;

private:
    static constexpr auto relaxed = std::memory_order_relaxed;
    static constexpr std::size_t kTypes = std::size_t(Webhook::Count_);
    static constexpr std::size_t kOutcomes = std::size_t(Outcome::Count_);
    static std::size_t index(Webhook t, Outcome o) { return std::size_t(t) * kOutcomes + std::size_t(o); }
    std::array<std::atomic<qint64>, kTypes * kOutcomes> m_webhooks{};
    std::atomic<qint64> m_signatureFailures{0};
    std::atomic<qint64> m_clients{0};
    std::atomic<qint64> m_eventsStored{0};
    std::atomic<qint64> m_deliveries{0};
    std::atomic<qint64> m_replayed{0};
    std::atomic<qint64> m_clientErrors{0};
    std::array<std::atomic<qint64>, kBucketsMs.size() + 1> m_latencyBuckets{};
    std::atomic<qint64> m_latencySumNs{0};
};

} // namespace streams::relay
