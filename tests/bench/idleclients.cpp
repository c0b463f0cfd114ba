#include "idleclients.h"

#include "benchsupport.h"

#include <algorithm>
#include <climits>
#include <cstdio>

namespace streams::bench {

IdleClients::IdleClients(const std::vector<QUrl> &relays, std::vector<int> bounds,
                         std::function<QString(int)> tokenFor, QString broadcaster)
    : m_bounds(std::move(bounds))
    , m_open(m_bounds.size(), false)
    , m_tokenFor(std::move(tokenFor))
    , m_broadcaster(std::move(broadcaster)) {
    for (std::size_t i = 0; i < m_bounds.size(); ++i)
        m_fleets.push_back(std::make_unique<WsFleet>(relays, base(i)));
}

bool IdleClients::setCount(int n) {
    for (std::size_t i = m_bounds.size(); i-- > 0;)
        if (m_bounds[i] > n && m_open[i]) {
            m_fleets[i]->closeAll();
            m_open[i] = false;
        }
    for (std::size_t i = 0; i < m_bounds.size(); ++i) {
        if (m_bounds[i] > n || m_open[i])
            continue;
        const int first = base(i);
        if (!m_fleets[i]->open(
                m_bounds[i] - first, [&](int k) { return m_tokenFor(first + k); },
                [this](int) { return m_broadcaster; })) {
            std::fprintf(stderr, "relay-bench: only %d of %d idle clients got subscribed\n",
                         first + m_fleets[i]->ready(), m_bounds[i]);
            return false;
        }
        m_open[i] = true;
    }
    return true;
}

void IdleClients::onEvent(const WsFleet::OnEvent &f) {
    for (std::size_t i = 0; i < m_fleets.size(); ++i) {
        if (!f) {
            m_fleets[i]->onEvent({});
            continue;
        }
        m_fleets[i]->onEvent([f, first = base(i)](int client, QByteArrayView frame, qint64 receivedNs) {
            f(first + client, frame, receivedNs);
        });
    }
}

int IdleClients::lost() const {
    int n = 0;
    for (const auto &fleet : m_fleets)
        n += fleet->lost();
    return n;
}

std::vector<int> IdleClients::lostClients() const {
    std::vector<int> all;
    for (std::size_t i = 0; i < m_fleets.size(); ++i)
        for (const int k : m_fleets[i]->lostClients())
            all.push_back(base(i) + k);
    return all;
}

void IdleClients::resetOddOnNextEvent() {
    for (std::size_t i = 0; i < m_fleets.size(); ++i)
        if (m_open[i])
            m_fleets[i]->resetOnNextEvent([first = base(i)](int k) { return (first + k) % 2 == 1; });
}

WsFleet::Resets IdleClients::resets() const {
    WsFleet::Resets all;
    all.done = true;
    all.startNs = LLONG_MAX;
    for (std::size_t i = 0; i < m_fleets.size(); ++i) {
        if (!m_open[i])
            continue;
        const WsFleet::Resets r = m_fleets[i]->resets();
        all.done = all.done && r.done;
        all.count += r.count;
        all.startNs = std::min(all.startNs, r.startNs);
        all.endNs = std::max(all.endNs, r.endNs);
    }
    return all;
}

} // namespace streams::bench
