#include "twitch/helixclient.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QPointer>
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
    , m_clientId(std::move(clientId)) {
    m_resetTimer.setSingleShot(true);
    connect(&m_resetTimer, &QTimer::timeout, this, &HelixClient::dispatch);
}

void HelixClient::get(const QString &path, const QUrlQuery &query, QObject *context, Raw done) {
    Q_ASSERT(context);
    Call call;
    call.path = path;
    call.query = query;
    call.context = context;
    call.done = std::move(done);
    run(std::move(call));
}

void HelixClient::run(Call call, bool renewToken) {
    if (!m_tokenSource) {
        call.token = m_token;
        enqueue(std::move(call));
        return;
    }
    QPointer<HelixClient> self(this);
    m_tokenSource(renewToken, [self, call = std::move(call)](const QString &token) mutable {
        if (!self || !call.context)
            return;
        if (token.isEmpty()) { // logged out: no call to make
            call.done(401, QByteArrayLiteral(R"({"status":401,"message":"Not logged in"})"));
            return;
        }
        self->m_token = token;
        call.token = token;
        self->enqueue(std::move(call));
    });
}

void HelixClient::enqueue(Call call, bool front) {
    if (front)
        m_queue.prepend(std::move(call));
    else
        m_queue.append(std::move(call));
    dispatch();
}

void HelixClient::dispatch() {
    while (!m_queue.isEmpty()) {
        const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
        if (m_remaining >= 0 && m_resetAt * 1000 <= nowMs)
            m_remaining = m_limit; // a new window: the bucket is full again
        // Unknown bucket: a few calls at once until Twitch tells us; known: never more than it holds.
        const int budget = m_remaining < 0 ? 4 - m_inFlight : m_remaining - m_inFlight;
        if (budget <= 0) {
            if (m_remaining >= 0 && m_inFlight == 0 && !m_resetTimer.isActive()) {
                // Empty bucket: wait for Ratelimit-Reset instead of earning a 429.
                m_resetTimer.start(int(qBound<qint64>(0, m_resetAt * 1000 - nowMs + 50, 120000LL)));
            }
            return; // an answer in flight or the reset timer calls dispatch() again
        }
        Call call = m_queue.takeFirst();
        if (call.context) // nobody waits for the answer any more: spend no points on it
            send(std::move(call));
    }
}

void HelixClient::send(Call call) {
    QUrl url = m_base;
    url.setPath(url.path() + call.path);
    url.setQuery(call.query);
    QNetworkRequest request(url);
    request.setRawHeader("Client-Id", m_clientId.toUtf8());
    request.setRawHeader("Authorization", "Bearer " + call.token.toUtf8());
    request.setTransferTimeout(15000);
    ++m_inFlight;
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, call = std::move(call)]() mutable {
        reply->deleteLater();
        --m_inFlight;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        bool ok = false;
        const int remaining = reply->rawHeader("Ratelimit-Remaining").toInt(&ok);
        if (ok) {
            const qint64 reset = reply->rawHeader("Ratelimit-Reset").toLongLong();
            // Answers can arrive out of order: within one window, the smallest remaining is the truth.
            m_remaining = reset == m_resetAt && m_remaining >= 0 ? qMin(m_remaining, remaining) : remaining;
            m_resetAt = reset;
            const int limit = reply->rawHeader("Ratelimit-Limit").toInt();
            m_limit = limit > 0 ? limit : -1;
        }
        if (!call.context) { // whoever asked is gone
            dispatch();
            return;
        }
        if (status == 429 && call.throttled < 3) {
            ++call.throttled;
            m_remaining = 0; // wait for Ratelimit-Reset, then try again
            if (!ok) {
                m_resetAt = QDateTime::currentSecsSinceEpoch() + 1;
                m_limit = qMax(m_limit, 1);
            }
            enqueue(std::move(call), true);
            return;
        }
        if (status == 401 && m_tokenSource && !call.retried401) {
            call.retried401 = true;
            run(std::move(call), true); // the auth layer renews the token (or ends the session)
            dispatch();
            return;
        }
        if (status == 401)
            Q_EMIT unauthorized();
        const QByteArray body = reply->readAll();
        call.done(status, body);
        dispatch();
    });
}

template <typename T>
void HelixClient::fetch(const QString &path, const QUrlQuery &query,
                        HelixResult<T> (*parse)(const QByteArray &), QObject *context, Callback<T> done) {
    get(path, query, context, [parse, done = std::move(done)](int status, const QByteArray &body) {
        if (status < 200 || status >= 300)
            done(helixErrorFor(status, body));
        else
            done(parse(body));
    });
}

template <typename T>
void HelixClient::fetchPages(const QString &path, QUrlQuery query,
                             HelixResult<QList<T>> (*parse)(const QByteArray &), QObject *context,
                             Callback<QList<T>> done, QList<T> sofar, int page) {
    const QUrlQuery asked = query;
    // `this` and `context` are alive whenever the answer is handed over (see get()).
    get(path, asked, context,
        [this, path, query, parse, context, done = std::move(done), sofar = std::move(sofar),
         page](int status, const QByteArray &body) mutable {
            if (status < 200 || status >= 300) {
                done(helixErrorFor(status, body));
                return;
            }
            HelixResult<QList<T>> parsed = parse(body);
            if (auto *error = std::get_if<HelixError>(&parsed)) {
                done(*error);
                return;
            }
            sofar += std::get<QList<T>>(parsed);
            const QString cursor = paginationCursor(body);
            const QString previous = query.queryItemValue(QStringLiteral("after"));
            if (cursor.isEmpty() || cursor == previous || page + 1 >= kMaxPages) {
                done(std::move(sofar));
                return;
            }
            query.removeAllQueryItems(QStringLiteral("after"));
            query.addQueryItem(QStringLiteral("after"), cursor);
            fetchPages(path, std::move(query), parse, context, std::move(done), std::move(sofar), page + 1);
        });
}

void HelixClient::self(QObject *context, Callback<QList<HelixUser>> done) {
    fetch(QStringLiteral("/users"), {}, &parseUsers, context, std::move(done));
}

void HelixClient::users(const QStringList &ids, const QStringList &logins, QObject *context,
                        Callback<QList<HelixUser>> done) {
    QUrlQuery q;
    for (const QString &id : ids)
        q.addQueryItem(QStringLiteral("id"), id);
    for (const QString &login : logins)
        q.addQueryItem(QStringLiteral("login"), login);
    fetch(QStringLiteral("/users"), q, &parseUsers, context, std::move(done));
}

void HelixClient::searchChannels(const QString &query, int first, QObject *context,
                                 Callback<QList<HelixChannel>> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("query"), query); // QUrlQuery percent-encodes it
    q.addQueryItem(QStringLiteral("first"), QString::number(qBound(1, first, 100)));
    fetch(QStringLiteral("/search/channels"), q, &parseChannels, context, std::move(done));
}

void HelixClient::streams(const QStringList &userIds, QObject *context, Callback<QList<HelixStream>> done) {
    QUrlQuery q;
    for (const QString &id : userIds.mid(0, 100))
        q.addQueryItem(QStringLiteral("user_id"), id);
    q.addQueryItem(QStringLiteral("first"), QStringLiteral("100"));
    fetch(QStringLiteral("/streams"), q, &parseStreams, context, std::move(done));
}

void HelixClient::recentFollowers(const QString &broadcasterId, int count, QObject *context,
                                  Callback<HelixFollowers> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("broadcaster_id"), broadcasterId);
    q.addQueryItem(QStringLiteral("first"), QString::number(qBound(1, count, 100)));
    fetch(QStringLiteral("/channels/followers"), q, &parseFollowers, context, std::move(done));
}

void HelixClient::followedChannels(const QString &userId, QObject *context,
                                   Callback<QList<HelixFollowedChannel>> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("user_id"), userId);
    q.addQueryItem(QStringLiteral("first"), QStringLiteral("100"));
    fetch(QStringLiteral("/channels/followed"), q, &parseFollowedChannels, context, std::move(done));
}

void HelixClient::moderatedChannels(const QString &userId, QObject *context,
                                    Callback<QList<HelixModeratedChannel>> done) {
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("user_id"), userId);
    q.addQueryItem(QStringLiteral("first"), QStringLiteral("100"));
    fetchPages(QStringLiteral("/moderation/channels"), q, &parseModeratedChannels, context, std::move(done));
}

} // namespace streams::app
