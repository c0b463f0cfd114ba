#pragma once

// Which webhook reached which client, and when: the bench counts a webhook only once every client that
// should have it has it, and names what was acknowledged but never delivered, received twice, or received
// out of order (a client's events must come in increasing seq).

#include <QtGlobal>

#include <atomic>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace streams::bench {

class DeliveryLedger {
public:
    // Called by the client fleets' threads for every event frame that carries a bench webhook's number;
    // seq: the frame's, 0 when it has none.
    void record(quint64 webhook, int client, qint64 receivedNs, qint64 seq = 0);
    // Receipts whose seq was not above the client's previous one, since the last clear().
    qint64 outOfOrder() const { return m_outOfOrder.load(); }
    // Deliveries recorded so far (duplicates included).
    qint64 recorded() const { return m_recorded.load(); }
    void clear();

    struct Tally {
        qint64 complete = 0;             // acknowledged and received by every recipient
        qint64 missing = 0;              // acknowledged, and some recipient never received it
        qint64 missingCopies = 0;        // (webhook, recipient) pairs never received
        qint64 duplicates = 0;           // the same webhook twice at one client
        qint64 unacknowledged = 0;       // received although not answered 2xx
        qint64 lastNs = 0;               // the last receipt of an acknowledged webhook
        std::vector<qint64> latenciesNs; // per receipt, from scheduledNs when given
    };
    // `acknowledged`: webhook numbers answered 2xx; each should reach `recipients` distinct clients.
    Tally tally(const std::vector<quint64> &acknowledged, int recipients,
                const std::function<qint64(quint64)> &scheduledNs = {}) const;

    // Several relays: the copies that should have arrived, split by whether the client is on the relay that
    // acknowledged (stored) the webhook or on another one, and how many of each arrived.
    struct Split {
        qint64 sameExpected = 0, sameReceived = 0;
        qint64 otherExpected = 0, otherReceived = 0;
    };
    // storedBy[i]: the relay that acknowledged acknowledged[i]; recipients(webhook): the clients that should
    // have it; relayOf(client): the relay a client is connected to.
    Split split(const std::vector<quint64> &acknowledged, const std::vector<int> &storedBy,
                const std::function<std::vector<int>(quint64)> &recipients,
                const std::function<int(int)> &relayOf) const;

private:
    struct Entry {
        std::vector<int> clients;
        std::vector<qint64> receivedNs;
    };
    mutable std::mutex m_mutex;
    std::unordered_map<quint64, Entry> m_entries;
    std::unordered_map<int, qint64> m_lastSeq; // per client
    std::atomic<qint64> m_recorded{0};
    std::atomic<qint64> m_outOfOrder{0};
};

} // namespace streams::bench
