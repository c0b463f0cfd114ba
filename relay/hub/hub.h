#pragma once

// The WebSocket side of the relay: worker threads that own the client sockets, a per-IP cap, and
// fan-out of committed events (serialised once, the same bytes to every recipient).

#include "hub/hubworker.h"

#include <QHash>
#include <QMutex>
#include <QThread>

#include <memory>
#include <vector>

namespace streams::relay {

class Hub {
public:
    Hub(Gatekeeper &gatekeeper, Metrics &metrics, QString databasePath, QString epoch, int threads,
        int maxConnectionsPerIp, HubOptions options = {});
    ~Hub();

    // Any thread. False when the peer is over its connection cap (the caller closes the descriptor).
    bool admit(const QString &peer);
    // Any thread: the descriptor of an accepted connection whose request is a WebSocket upgrade.
    void adopt(qintptr descriptor, const QString &peer);
    // Any thread: events just committed.
    void publish(std::vector<StoredEventPtr> events);
    void revoke(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                const QString &reason);
    // Closes every client with 1001 and stops the threads.
    void shutdown();

private:
    void released(const QString &peer);

    std::vector<std::unique_ptr<QThread>> m_threads;
    std::vector<HubWorker *> m_workers;
    std::atomic<unsigned> m_next{0};
    int m_maxPerIp;
    QMutex m_peersMutex;
    QHash<QString, int> m_peers;
};

} // namespace streams::relay
