#pragma once

// Helix over QNetworkAccessManager: `Client-Id` + `Bearer` on every call, Twitch's Ratelimit-* headers
// honoured (calls wait for the reset when the bucket is empty; a 429 is retried once after it), 401 raised
// to the auth layer through `unauthorized()`.

#include "twitch/helixtypes.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

namespace streams::app {

class HelixClient : public QObject {
    Q_OBJECT
public:
    template <typename T>
    using Callback = std::function<void(HelixResult<T>)>;

    HelixClient(QNetworkAccessManager &network, QUrl base, QString clientId, QObject *parent = nullptr);
    void setToken(const QString &token) { m_token = token; }

    void self(Callback<QList<HelixUser>> done);
    void users(const QStringList &ids, const QStringList &logins, Callback<QList<HelixUser>> done);
    void searchChannels(const QString &query, int first, Callback<QList<HelixChannel>> done);
    void streams(const QStringList &userIds, Callback<QList<HelixStream>> done);
    void recentFollowers(const QString &broadcasterId, int count, Callback<HelixFollowers> done);
    void followedChannels(const QString &userId, Callback<QList<HelixFollowedChannel>> done);
    void moderatedChannels(const QString &userId, Callback<QList<HelixModeratedChannel>> done);

    // What Twitch's last answer said about the rate-limit bucket (-1 before the first answer).
    int rateLimitRemaining() const { return m_remaining; }

Q_SIGNALS:
    void unauthorized();

private:
    using Raw = std::function<void(int status, const QByteArray &body)>;
    void get(const QString &path, const QUrlQuery &query, Raw done, bool retried = false);
    template <typename T>
    void fetch(const QString &path, const QUrlQuery &query, HelixResult<T> (*parse)(const QByteArray &),
               Callback<T> done);

    QNetworkAccessManager &m_network;
    QUrl m_base;
    QString m_clientId;
    QString m_token;
    int m_remaining = -1;
    qint64 m_resetAt = 0; // epoch seconds
};

HelixError helixErrorFor(int status, const QByteArray &body);

} // namespace streams::app
