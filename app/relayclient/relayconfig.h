#pragma once

// The relay's public configuration (GET /api/v1/config): which Twitch application to log in to, with
// which scopes, and the relay protocol it speaks. The app asks before login and before saving a new relay
// URL in the settings.

#include <QNetworkAccessManager>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <optional>

namespace streams::app {

struct RelayConfig {
    QString clientId;
    QStringList scopes;
    QUrl redirectUri; // the application's registered redirect (default http://localhost:17563)
    int protocol = 0;
};

// A route of the relay at `relay`, which may be served under a path prefix behind a reverse proxy:
// `https://host/relay/` and "/ws" give `https://host/relay/ws`.
QUrl relayRoute(const QUrl &relay, const QString &route);

// Parses the config JSON; nullopt (and why) when it is not a usable relay config.
std::optional<RelayConfig> parseRelayConfig(const QByteArray &json, QString *error);

// Asks `relay` for its config; `done` gets it, or a sentence saying what is wrong.
void fetchRelayConfig(QNetworkAccessManager &network, const QUrl &relay,
                      std::function<void(std::optional<RelayConfig>, QString error)> done, QObject *context);

} // namespace streams::app
