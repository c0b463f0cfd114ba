#include "metrics/metrics.h"

namespace streams::relay {

void Metrics::DeliveryTally::add(qint64 latencyNs) {
    ++count;
    if (latencyNs <= 0)
        return; // replayed: no live latency
    const double ms = double(latencyNs) / 1e6;
    std::size_t bucket = 0;
    while (bucket < kBucketsMs.size() && ms > kBucketsMs[bucket])
        ++bucket;
    ++buckets[bucket];
    latencySumNs += latencyNs;
}

void Metrics::delivered(qint64 latencyNs) {
    DeliveryTally one;
    one.add(latencyNs);
    delivered(one);
}

void Metrics::delivered(const DeliveryTally &tally) {
    m_deliveries.fetch_add(tally.count, relaxed);
    for (std::size_t b = 0; b < tally.buckets.size(); ++b)
        if (tally.buckets[b] != 0)
            m_latencyBuckets[b].fetch_add(tally.buckets[b], relaxed);
    if (tally.latencySumNs != 0)
        m_latencySumNs.fetch_add(tally.latencySumNs, relaxed);
}

QByteArray Metrics::prometheus() const {
    static const char *const types[] = {"notification", "webhook_callback_verification", "revocation",
                                        "unknown"};
    static const char *const outcomes[] = {"accepted", "duplicate", "rejected", "failed"};
    QByteArray out;
    out += "# HELP streams_relay_webhooks_total Webhook requests by message type and outcome.\n"
           "# TYPE streams_relay_webhooks_total counter\n";
    for (std::size_t t = 0; t < kTypes; ++t)
        for (std::size_t o = 0; o < kOutcomes; ++o)
            out += QByteArray("streams_relay_webhooks_total{type=\"") + types[t] + "\",outcome=\"" +
                   outcomes[o] + "\"} " + QByteArray::number(m_webhooks[t * kOutcomes + o].load(relaxed)) +
                   '\n';
    auto counter = [&out](const char *name, const char *help, const char *type, qint64 value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name +
               ' ' + QByteArray::number(value) + '\n';
    };
    counter("streams_relay_webhook_duplicates_total",
            "Notifications whose message id (or follow) was already stored.", "counter",
            m_webhooks[index(Webhook::Notification, Outcome::Duplicate)].load(relaxed));
    counter("streams_relay_signature_failures_total", "Webhooks refused for a missing or wrong signature.",
            "counter", m_signatureFailures.load(relaxed));
    counter("streams_relay_events_stored_total", "Events committed to the event log.", "counter",
            m_eventsStored.load(relaxed));
    counter("streams_relay_clients", "Connected WebSocket clients.", "gauge", m_clients.load(relaxed));
    counter("streams_relay_deliveries_total", "Event frames sent to clients (live and replayed).", "counter",
            m_deliveries.load(relaxed));
    counter("streams_relay_replayed_total", "Event frames sent while replaying history.", "counter",
            m_replayed.load(relaxed));
    counter("streams_relay_client_errors_total", "Error frames sent to clients.", "counter",
            m_clientErrors.load(relaxed));
    out += "# HELP streams_relay_delivery_latency_seconds Webhook received to frame sent, live events.\n"
           "# TYPE streams_relay_delivery_latency_seconds histogram\n";
    qint64 cumulative = 0;
    for (std::size_t b = 0; b <= kBucketsMs.size(); ++b) {
        cumulative += m_latencyBuckets[b].load(relaxed);
        const QByteArray le = b < kBucketsMs.size() ? QByteArray::number(kBucketsMs[b] / 1000.0) : "+Inf";
        out += "streams_relay_delivery_latency_seconds_bucket{le=\"" + le + "\"} " +
               QByteArray::number(cumulative) + '\n';
    }
    out += "streams_relay_delivery_latency_seconds_sum " +
           QByteArray::number(double(m_latencySumNs.load(relaxed)) / 1e9) + '\n';
    out += "streams_relay_delivery_latency_seconds_count " + QByteArray::number(cumulative) + '\n';
    return out;
}

} // namespace streams::relay
