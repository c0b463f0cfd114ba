#pragma once

// Many WebSocket clients of the relay on one thread of their own, written against the sockets directly
// (epoll, non-blocking, the RFC 6455 framing a client needs): a fleet of 10,000 QWebSocket objects spent
// ~20 µs of this 2-core machine per received frame, so the clients, not the relay, set the fan-out figure.
// Each client says hello, subscribes, answers pings and timestamps every event frame the moment it is
// complete. Frames are read by their top-level "type", whatever the order of members or the spacing.

#include <QByteArrayView>
#include <QString>
#include <QUrl>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace streams::bench {

class WsFleet {
public:
    // client: the index given to open()'s functions; frame: the event's JSON text; receivedNs:
    // CLOCK_MONOTONIC (monotonicNs()) when its last byte was read.
    using OnEvent = std::function<void(int client, QByteArrayView frame, qint64 receivedNs)>;

    explicit WsFleet(const QUrl &relay);
    // Several relays: client `index` connects to relays[(firstIndex + index) % relays.size()], so that
    // fleets whose clients count on from firstIndex spread them round-robin over the relays together.
    WsFleet(const std::vector<QUrl> &relays, int firstIndex);
    ~WsFleet();
    WsFleet(const WsFleet &) = delete;
    WsFleet &operator=(const WsFleet &) = delete;

    // Opens n more clients (indices counting on from the last open), at most 500 handshakes at a time;
    // true once all are subscribed.
    bool open(int n, const std::function<QString(int)> &tokenFor,
              const std::function<QString(int)> &broadcasterFor, int timeoutMs = 120000);
    void closeAll();
    // Set while no events flow; called on the fleet's thread.
    void onEvent(OnEvent f);
    int ready() const { return m_ready.load(); }
    // The relay (index into the constructor's list) client `index` connects to.
    int relayOf(int index) const { return int((m_firstIndex + index) % m_relayCount); }
    // Subscriptions answered `forbidden` (follows refused for this user; online/offline still come).
    int forbidden() const { return m_forbidden.load(); }
    // Subscribed clients the relay closed or reset.
    int lost() const { return m_lost.load(); }
    // Their indices, since the last closeAll().
    std::vector<int> lostClients() const;

    // Arms a reset of every subscribed client for which which(index) holds (SO_LINGER 0, then close, so the
    // relay gets an RST, not a close handshake). It happens on the fleet's thread the moment the fleet has
    // read the next event frame, that is while the relay is still writing the event to the other clients.
    void resetOnNextEvent(std::function<bool(int)> which);
    struct Resets {
        bool done = false;
        int count = 0;
        qint64 startNs = 0; // monotonicNs() when the first and the last socket were reset
        qint64 endNs = 0;
    };
    // The last armed reset's progress.
    Resets resets() const;

private:
    struct Client;
    struct Shared;
    void run();

    std::unique_ptr<Shared> m_shared;
    std::atomic<int> m_ready{0};
    std::atomic<int> m_forbidden{0};
    std::atomic<int> m_lost{0};
    std::atomic<bool> m_resetDone{false};
    std::atomic<int> m_resetCount{0};
    std::atomic<qint64> m_resetStartNs{0};
    std::atomic<qint64> m_resetEndNs{0};
    int m_opened = 0; // indices handed out since the last closeAll()
    int m_firstIndex = 0;
    int m_relayCount = 1;
    std::thread m_thread;
};

} // namespace streams::bench
