#pragma once

// The app core wired for one relay: login session, Helix, relay client, chat, feed model and controller.
// Built by the main window once the relay's /api/v1/config named the Twitch application; rebuilt when the
// user points the app at another relay.

#include "feed/feedcontroller.h"
#include "feed/feedmodel.h"
#include "relayclient/relayclient.h"
#include "relayclient/relayconfig.h"
#include "twitch/authsession.h"
#include "twitch/endpoints.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

namespace streams::ui {

class Services : public QObject {
    Q_OBJECT
public:
    Services(QNetworkAccessManager &network, app::LocalStore &store, app::TokenStore &tokens,
             const app::TwitchEndpoints &endpoints, const QUrl &relayUrl, app::RelayConfig config,
             QObject *parent = nullptr);

    const app::RelayConfig config;
    app::AuthSession auth;
    app::HelixClient helix;
    app::RelayClient relay;
    app::IrcClient chat;
    app::FeedModel model;
    app::FeedController feed;
};

} // namespace streams::ui
