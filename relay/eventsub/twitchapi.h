#pragma once

// The relay's calls to Twitch: app access token (client credentials), token validation and the
// EventSub subscription endpoints of Helix. Runs on the thread that owns it.

#include "platform/backoff.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <functional>

namespace streams::relay {

// Where the relay reaches Twitch (TWITCH_AUTH_URL, TWITCH_HELIX_URL); the app's wider set of Twitch
// addresses is app::TwitchApiUrls.
struct TwitchApiUrls {
    QUrl auth;  // https://id.twitch.tv/oauth2
    QUrl helix; // https://api.twitch.tv/helix
};

struct HttpOutcome {
    int status = 0; // 0: no HTTP answer (network error)
    QJsonObject body;
    QString networkError;
    bool ok() const { return status >= 200 && status < 300; }
    // Twitch's own message ("message" field), else the network error, else the status.
    QString describe() const;
};

struct TokenInfo {
    QString clientId;
    QString userId;
    QString login;
    QStringList scopes;
};

struct EventSubSubscription {
    QString id;
    QString type;
    QString version;
    QString status;
    QJsonObject condition;
    QString callback;
    static EventSubSubscription fromJson(const QJsonObject &o);
};

class TwitchApi : public QObject {
    Q_OBJECT
public:
    TwitchApi(TwitchApiUrls endpoints, QString clientId, QByteArray clientSecret, QObject *parent = nullptr);

    QString clientId() const { return m_clientId; }
    bool hasAppToken() const { return !m_appToken.isEmpty(); }
    // Fetches the app token now, retrying with backoff until it succeeds.
    void start();

    void validateUserToken(const QString &token, std::function<void(HttpOutcome, TokenInfo)> done);

    void createSubscription(const QString &type, const QString &version, const QJsonObject &condition,
                            const QString &callback, const QByteArray &secret,
                            std::function<void(HttpOutcome)> done);
    // All pages; `filter` is one of Twitch's mutually exclusive query parameters (or empty).
    void listSubscriptions(const QPair<QString, QString> &filter,
                           std::function<void(HttpOutcome, QList<EventSubSubscription>)> done);
    void deleteSubscription(const QString &id, std::function<void(HttpOutcome)> done);

Q_SIGNALS:
    void appTokenChanged(bool available);

private:
    enum class Method { Get, Post, Delete };
    void requestAppToken();
    void helix(Method method, const QString &path, const QUrlQuery &query, const QJsonObject &body,
               std::function<void(HttpOutcome)> done, bool retriedAfter401 = false);
    void send(const QNetworkRequest &request, Method method, const QByteArray &body,
              std::function<void(HttpOutcome)> done);
    void listPage(const QPair<QString, QString> &filter, const QString &cursor,
                  QList<EventSubSubscription> acc,
                  std::function<void(HttpOutcome, QList<EventSubSubscription>)> done);

    TwitchApiUrls m_endpoints;
    QString m_clientId;
    QByteArray m_clientSecret;
    QByteArray m_appToken;
    bool m_tokenRequestInFlight = false;
    Backoff m_tokenBackoff{{std::chrono::seconds(1), std::chrono::seconds(60)}}; // 1, 2, 4 … 60 s
    QList<std::function<void()>> m_waitingForToken;
    QNetworkAccessManager m_network;
    QTimer m_tokenRetry;
};

} // namespace streams::relay
