#pragma once

// The app core wired for one relay: login session, Helix, relay client, chat, Twitch's EventSub WebSocket
// (for a channel the user broadcasts or moderates), feed model and controller. No widgets, so any front
// end composes the same services: the GUI's main window builds them once the relay's /api/v1/config named
// the Twitch application, and rebuilds them when the user points the app at another relay.
//
// The wiring a front end need not repeat: the login's account (who, which scopes) reaches the feed before
// anyone opens a channel; a renewed token reaches the relay client and EventSub; a 401 from either renews
// the token (or ends the session) and hands the new one back.

#include "feed/feedcontroller.h"
#include "feed/feedmodel.h"
#include "relayclient/relayclient.h"
#include "relayclient/relayconfig.h"
#include "twitch/authsession.h"
#include "twitch/endpoints.h"
#include "twitch/eventsubsession.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

namespace streams::app {

// The Twitch application when no relay names one (the app on its own: EventSub, chat and Helix with the
// user's token): `clientId` (TWITCH_CLIENT_ID), Twitch's usual redirect http://localhost:17563, and the
// scopes a relay asks for today (the login adds the EventSub ones). nullopt without a client id.
std::optional<RelayConfig> configWithoutRelay(const QString &clientId);

class Services : public QObject {
    Q_OBJECT
public:
    // An empty `relayUrl`: no relay (see configWithoutRelay()).
    Services(QNetworkAccessManager &network, LocalStore &store, TokenStore &tokens,
             const TwitchEndpoints &endpoints, const QUrl &relayUrl, RelayConfig config,
             QObject *parent = nullptr);

    bool hasRelay() const { return !relayUrl.isEmpty(); }

    const QUrl relayUrl;
    const RelayConfig config;
    AuthSession auth;
    HelixClient helix;
    RelayClient relay;
    IrcClient chat;
    EventSubSession eventSub; // before the feed, which holds a pointer to it
    FeedModel model;
    FeedController feed;
};

} // namespace streams::app
