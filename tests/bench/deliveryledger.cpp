#include "deliveryledger.h"

#include <algorithm>
#include <unordered_set>

namespace streams::bench {

void DeliveryLedger::record(quint64 webhook, int client, qint64 receivedNs) {
    {
        std::lock_guard lock(m_mutex);
        Entry &e = m_entries[webhook];
        e.clients.push_back(client);
        e.receivedNs.push_back(receivedNs);
    }
    ++m_recorded;
}

void DeliveryLedger::clear() {
    std::lock_guard lock(m_mutex);
    m_entries.clear();
    m_recorded = 0;
}

DeliveryLedger::Tally DeliveryLedger::tally(const std::vector<quint64> &acknowledged, int recipients,
                                            const std::function<qint64(quint64)> &scheduledNs) const {
    std::lock_guard lock(m_mutex);
    Tally t;
    const std::unordered_set<quint64> acked(acknowledged.begin(), acknowledged.end());
    for (const quint64 webhook : acked) {
        const auto it = m_entries.find(webhook);
        if (it == m_entries.end()) {
            ++t.missing;
            t.missingCopies += recipients;
            continue;
        }
        std::vector<int> clients = it->second.clients;
        std::sort(clients.begin(), clients.end());
        const auto distinct = std::unique(clients.begin(), clients.end()) - clients.begin();
        t.duplicates += qint64(clients.size()) - distinct;
        if (distinct >= recipients) {
            ++t.complete;
        } else {
            ++t.missing;
            t.missingCopies += recipients - distinct;
        }
        const qint64 sent = scheduledNs ? scheduledNs(webhook) : 0;
        for (const qint64 at : it->second.receivedNs) {
            t.lastNs = std::max(t.lastNs, at);
            if (scheduledNs)
                t.latenciesNs.push_back(at - sent);
        }
    }
    for (const auto &[webhook, entry] : m_entries)
        if (!acked.contains(webhook))
            ++t.unacknowledged;
    return t;
}

} // namespace streams::bench
