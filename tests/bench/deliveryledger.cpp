#include "deliveryledger.h"

#include <algorithm>
#include <unordered_set>

namespace streams::bench {

void DeliveryLedger::record(quint64 webhook, int client, qint64 receivedNs, qint64 seq) {
    {
        std::lock_guard lock(m_mutex);
        Entry &e = m_entries[webhook];
        e.clients.push_back(client);
        e.receivedNs.push_back(receivedNs);
        if (seq > 0) {
            qint64 &last = m_lastSeq[client];
            if (seq <= last)
                ++m_outOfOrder;
            last = std::max(last, seq);
        }
    }
    ++m_recorded;
}

void DeliveryLedger::clear() {
    std::lock_guard lock(m_mutex);
    m_entries.clear();
    m_lastSeq.clear();
    m_recorded = 0;
    m_outOfOrder = 0;
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

DeliveryLedger::Split DeliveryLedger::split(const std::vector<quint64> &acknowledged,
                                            const std::vector<int> &storedBy,
                                            const std::function<std::vector<int>(quint64)> &recipients,
                                            const std::function<int(int)> &relayOf) const {
    std::lock_guard lock(m_mutex);
    Split s;
    for (std::size_t i = 0; i < acknowledged.size() && i < storedBy.size(); ++i) {
        const auto it = m_entries.find(acknowledged[i]);
        for (const int client : recipients(acknowledged[i])) {
            const bool same = relayOf(client) == storedBy[i];
            const bool received = it != m_entries.end() &&
                                  std::find(it->second.clients.begin(), it->second.clients.end(), client) !=
                                      it->second.clients.end();
            (same ? s.sameExpected : s.otherExpected) += 1;
            (same ? s.sameReceived : s.otherReceived) += received ? 1 : 0;
        }
    }
    return s;
}

} // namespace streams::bench
