#pragma once

// relay-bench's idle clients: all in the fan-out room, opened in segments (one client fleet each) so that
// their number can step between the intake levels. A client's index is global, counted across segments;
// with several relays, client i connects to relay i % relays.size().

#include "wsfleet.h"

#include <QString>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

namespace streams::bench {

class IdleClients {
public:
    // bounds: the ascending client counts the segments end at; tokenFor(i): the token of client i.
    IdleClients(const std::vector<QUrl> &relays, std::vector<int> bounds,
                std::function<QString(int)> tokenFor, QString broadcaster);
    // n: 0 or one of the bounds; false when not all of them got subscribed.
    bool setCount(int n);
    // `f` gets the client's global index.
    void onEvent(const WsFleet::OnEvent &f);
    // Subscribed clients the relay closed or reset, and their global indices.
    int lost() const;
    std::vector<int> lostClients() const;

    // Arms each open segment to reset (RST) its clients with an odd index as soon as it reads the next event.
    void resetOddOnNextEvent();
    // Progress of the armed resets over every open segment: done when all are done, the earliest start and
    // the latest end.
    WsFleet::Resets resets() const;

private:
    int base(std::size_t segment) const { return segment == 0 ? 0 : m_bounds[segment - 1]; }

    std::vector<int> m_bounds;
    std::vector<bool> m_open;
    std::function<QString(int)> m_tokenFor;
    QString m_broadcaster;
    std::vector<std::unique_ptr<WsFleet>> m_fleets;
};

} // namespace streams::bench
