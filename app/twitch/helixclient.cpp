#include "twitch/helixclient.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QTimer>

namespace streams::app {

HelixError helixErrorFor(int status, const QByteArray &body) {
    const QString message = QJsonDocument::fromJson(body).object().value(QLatin1String("message")).toString();
    HelixErrorKind kind = HelixErrorKind::Server;
    switch (status) {
    case 0:
        kind = HelixErrorKind::Network;
        break;
    case 400:
        kind = HelixErrorKind::BadRequest;
        break;
    case 401:
        kind = HelixErrorKind::Unauthorized;
        break;
    case 403:
        kind = HelixErrorKind::Forbidden;
        break;
    case 404:
        kind = HelixErrorKind::NotFound;
        break;
    case 429:
        kind = HelixErrorKind::RateLimited;
        break;
    default:
        kind = status >= 500 ? HelixErrorKind::Server : HelixErrorKind::BadResponse;
    }
    return HelixError{kind, status,
                      message.isEmpty() ? (status == 0 ? QStringLiteral("Twitch cannot be reached")
                                                       : QStringLiteral("Twitch answered %1").arg(status))
                                        : message};
}

HelixClient::HelixClient(QNetworkAccessManager &network, QUrl base, QString clientId, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_base(std::move(base))
    , m_clientId(std::move(clientId)) {}

void HelixClient::get(const QString &path, const QUrlQuery &query, Raw done, bool retried) {
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (m_remaining == 0 && m_resetAt > now) {
        // The bucket is empty: wait for Twitch's reset instead of earning a 429.
        QTimer::singleShot(int((m_resetAt - now) * 1000), this, [=, this] {
            m_remaining = -1;
            get(path, query, done, retried);
        });
        return;
    }
    QUrl url = m_base;
    url.setPath(url.path() + path);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setRawHeader("Client-Id", m_clientId.toUtf8());
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [=, this] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        bool ok = false;
        const int remaining = reply->rawHeader("Ratelimit-Remaining").toInt(&ok);
        if (ok) {
            m_remaining = remaining;
            m_resetAt = reply->rawHeader("Ratelimit-Reset").toLongLong();
        }
        if (status == 429 && !retried) {
            m_remaining = 0;
            get(path, query, done, true);
            return;
        }
        if (status == 401)
            Q_EMIT unauthorized();
        done(status, reply->readAll());
    });
}

template <typename T>
void HelixClient::fetch(const QString &path, const QUrlQuery &query,
                        HelixResult<T> (*parse)(const QByteArray &), Callback<T> done) {
    get(path, query, [parse, done = std::move(done)](int status, const QByteArray &body) {
        if (status < 200 || status >= 300)
            done(helixErrorFor(status, body));
        else
            done(parse(body));
    });
}

void HelixClient::self(Callback<QList<HelixUser>> done) {
    fetch(QStringLiteral("/users"), {}, &parseUsers, std::move(done));
}

void HelixClient::users(const QStringList &ids, const QStringList &logins, Callback<QList<HelixUser>> done) {
    QUrlQuery q;
    for (const QString &id : ids)
        q.addQueryItem(QStringLiteral("id"), id);
    for (const QString &login : logins)
        q.addQueryItem(QStringLiteral("login"), login);
    fetch(QStringLiteral("/users"), q, &parseUsers, std::move(done));
}

void HelixClient::searchChannels(const QString &query, int first, Callback<QList<HelixChannel>> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("query"), query); // QUrlQuery percent-encodes it
    q.addQueryItem(QStringLiteral("first"), QString::number(qBound(1, first, 100)));
    fetch(QStringLiteral("/search/channels"), q, &parseChannels, std::move(done));
}

void HelixClient::streams(const QStringList &userIds, Callback<QList<HelixStream>> done) {
    QUrlQuery q;
    for (const QString &id : userIds.mid(0, 100))
        q.addQueryItem(QStringLiteral("user_id"), id);
    q.addQueryItem(QStringLiteral("first"), QStringLiteral("100"));
    fetch(QStringLiteral("/streams"), q, &parseStreams, std::move(done));
}

void HelixClient::recentFollowers(const QString &broadcasterId, int count, Callback<HelixFollowers> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("broadcaster_id"), broadcasterId);
    q.addQueryItem(QStringLiteral("first"), QString::number(qBound(1, count, 100)));
    fetch(QStringLiteral("/channels/followers"), q, &parseFollowers, std::move(done));
}

void HelixClient::followedChannels(const QString &userId, Callback<QList<HelixFollowedChannel>> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("user_id"), userId);
    q.addQueryItem(QStringLiteral("first"), QStringLiteral("100"));
    fetch(QStringLiteral("/channels/followed"), q, &parseFollowedChannels, std::move(done));
}

void HelixClient::moderatedChannels(const QString &userId, Callback<QList<HelixModeratedChannel>> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("user_id"), userId);
    q.addQueryItem(QStringLiteral("first"), QStringLiteral("100"));
    fetch(QStringLiteral("/moderation/channels"), q, &parseModeratedChannels, std::move(done));
}

} // namespace streams::app
