#pragma once

// Twitch's side of the relay: signed EventSub webhook requests sent over keep-alive connections, written
// against the sockets directly (epoll, non-blocking) so that the generator takes as little of the machine's
// CPU as it can. Each call runs on the calling thread until its requests are answered.

#include <QByteArray>
#include <QString>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

namespace streams::bench {

// One webhook request, numbered: its message id is "bench-<n>", which the relay hands on as the event's
// "id", so the clients' receipts can be matched to what was acknowledged.
struct Webhook {
    quint64 n = 0;
    QByteArray request;
};

enum class WebhookKind { Follow, Online };

// The full HTTP request, signed with `secret` as Twitch signs it, timestamped now.
Webhook signedWebhook(const QByteArray &secret, const QString &broadcasterId, WebhookKind kind, quint64 n);
// The number in a "bench-<n>" message id; 0 for any other id.
quint64 webhookNumber(QByteArrayView messageId);

class WebhookLoad {
public:
    using Source = std::function<Webhook()>;
    struct Result {
        qint64 answered = 0;               // 2xx
        qint64 failed = 0;                 // another status, or the connection lost before the answer
        std::vector<quint64> acknowledged; // numbers of the webhooks answered 2xx
        std::vector<int> acknowledgedBy;   // for each of them, the relay (index) that answered
        std::vector<qint64> latenciesNs;   // per answer, from its scheduled (paced) or sent time
        qint64 startNs = 0;
        qint64 lastAnswerNs = 0;
        bool timedOut = false; // answers still missing 30 s after the last request
    };

    WebhookLoad(const QUrl &relay, int connections);
    // Connection c goes to relays[c % relays.size()].
    WebhookLoad(const std::vector<QUrl> &relays, int connections);
    ~WebhookLoad();
    WebhookLoad(const WebhookLoad &) = delete;
    WebhookLoad &operator=(const WebhookLoad &) = delete;
    bool connected() const;

    // Every connection sends its next request as soon as the last one is answered, for durationNs (the
    // requests in flight then are still awaited). durationNs 0: one request per connection.
    Result closedLoop(qint64 durationNs, const Source &next);
    // `total` requests at `rate` per second, each on a free connection (queued while none is), the relays
    // taking turns; latency counts from the scheduled time, so a stalled relay cannot hide its stall.
    Result paced(int rate, qint64 total, const Source &next,
                 const std::function<void(quint64 n, qint64 scheduledNs)> &onSchedule = {});

private:
    struct Engine;
    std::unique_ptr<Engine> m_engine;
};

} // namespace streams::bench
