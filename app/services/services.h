#pragma once

// The app core wired for one relay: login session, Helix, relay client, chat, feed model and controller.
// No widgets, so any front end composes the same services: the GUI's main window builds them once the
// relay's /api/v1/config named the Twitch application, and rebuilds them when the user points the app at
// another relay.

#include "feed/feedcontroller.h"
#include "feed/feedmodel.h"
#include "relayclient/relayclient.h"
#include "relayclient/relayconfig.h"
#include "twitch/authsession.h"
#include "twitch/endpoints.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

namespace streams::app {

class Services : public QObject {
    Q_OBJECT
public:
    Services(QNetworkAccessManager &network, LocalStore &store, TokenStore &tokens,
             const TwitchEndpoints &endpoints, const QUrl &relayUrl, RelayConfig config,
             QObject *parent = nullptr);

    const RelayConfig config;
    AuthSession auth;
    HelixClient helix;
    RelayClient relay;
    IrcClient chat;
    FeedModel model;
    FeedController feed;
};

} // namespace streams::app
