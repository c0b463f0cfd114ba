#pragma once

// Which webhook reached which client, and when: the bench counts a webhook only once every client that
// should have it has it, and names what was acknowledged but never delivered.

#include <QtGlobal>

#include <atomic>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace streams::bench {

class DeliveryLedger {
public:
    // Called by the client fleets' threads for every event frame that carries a bench webhook's number.
    void record(quint64 webhook, int client, qint64 receivedNs);
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

private:
    struct Entry {
        std::vector<int> clients;
        std::vector<qint64> receivedNs;
    };
    mutable std::mutex m_mutex;
    std::unordered_map<quint64, Entry> m_entries;
    std::atomic<qint64> m_recorded{0};
};

} // namespace streams::bench
