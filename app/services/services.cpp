#include "services/services.h"

namespace streams::app {

std::optional<RelayConfig> configWithoutRelay(const QString &clientId) {
    if (clientId.trimmed().isEmpty())
        return std::nullopt;
    RelayConfig config;
    config.clientId = clientId.trimmed();
    config.scopes = {QStringLiteral("moderator:read:followers"), QStringLiteral("user:read:follows"),
                     QStringLiteral("user:read:moderated_channels")};
    config.redirectUri = QUrl(QStringLiteral("http://localhost:17563"));
    config.protocol = 1;
    return config;
}

Services::Services(QNetworkAccessManager &network, LocalStore &store, TokenStore &tokens,
                   const TwitchEndpoints &endpoints, const QUrl &relayAddress, RelayConfig relayConfig,
                   QObject *parent)
    : QObject(parent)
    , relayUrl(relayAddress)
    , config(std::move(relayConfig))
    , auth(network, endpoints.auth, config.clientId, tokens)
    , helix(network, endpoints.helix, config.clientId)
    , relay(relayAddress, store)
    , chat(endpoints.irc)
    , eventSub(network, endpoints.eventSub, endpoints.helix, config.clientId)
    , feed(store, helix, relay, chat, &eventSub, model) {
    // Every Helix call asks the session for a token; a 401 renews it (device-code logins) or ends the
    // session once.
    helix.setTokenSource(
        [this](bool renew, std::function<void(QString)> use) { auth.withToken(renew, std::move(use)); });
    connect(&auth, &AuthSession::tokenRenewed, &relay, &RelayClient::setToken);
    connect(&relay, &RelayClient::unauthorized, this, [this] {
        auth.withToken(true, [this](const QString &token) {
            if (!token.isEmpty())
                relay.setToken(token);
        });
    });
    if (!hasRelay()) {
        // No relay: the feed starts the relay client with every channel it opens; it stops again right
        // away (queued: not inside its own start), so nothing keeps trying to reach an address nobody set.
        connect(
            &relay, &RelayClient::stateChanged, this,
            [this](RelayClient::State state) {
                if (state != RelayClient::State::Stopped)
                    relay.stop();
            },
            Qt::QueuedConnection);
    }
    connect(&auth, &AuthSession::tokenRenewed, &eventSub, &EventSubSession::setToken);
    connect(&eventSub, &EventSubSession::unauthorized, this, [this] {
        auth.withToken(true, [this](const QString &token) {
            if (!token.isEmpty()) // empty: the session ended, and the feed closes with it
                eventSub.setToken(token);
        });
    });
    // Connected here, before any front end's own slots: the feed knows the user and the granted scopes
    // when the front end opens a channel on the same signal.
    connect(&auth, &AuthSession::loggedIn, &feed, &FeedController::setAccount);
    connect(&auth, &AuthSession::loggedOut, &feed, &FeedController::close);
}

} // namespace streams::app
