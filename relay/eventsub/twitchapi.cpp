#include "eventsub/twitchapi.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkReply>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcTwitch, "streams.relay.twitch")

namespace streams::relay {

QString HttpOutcome::describe() const {
    const QString message = body.value(QLatin1String("message")).toString();
    if (!message.isEmpty())
        return message;
    if (!networkError.isEmpty())
        return networkError;
    return QStringLiteral("HTTP %1").arg(status);
}

EventSubSubscription EventSubSubscription::fromJson(const QJsonObject &o) {
    const QJsonObject transport = o.value(QLatin1String("transport")).toObject();
    return {o.value(QLatin1String("id")).toString(),
            o.value(QLatin1String("type")).toString(),
            o.value(QLatin1String("version")).toString(),
            o.value(QLatin1String("status")).toString(),
            o.value(QLatin1String("condition")).toObject(),
            transport.value(QLatin1String("callback")).toString()};
}

TwitchApi::TwitchApi(TwitchApiUrls endpoints, QString clientId, QByteArray clientSecret, QObject *parent)
    : QObject(parent)
    , m_endpoints(std::move(endpoints))
    , m_clientId(std::move(clientId))
    , m_clientSecret(std::move(clientSecret)) {
    m_network.setAutoDeleteReplies(true);
    m_network.setTransferTimeout(15000);
    m_tokenRetry.setSingleShot(true);
    connect(&m_tokenRetry, &QTimer::timeout, this, &TwitchApi::requestAppToken);
}

void TwitchApi::start() {
    requestAppToken();
}

void TwitchApi::send(const QNetworkRequest &request, Method method, const QByteArray &body,
                     std::function<void(HttpOutcome)> done) {
    QNetworkReply *reply = nullptr;
    switch (method) {
    case Method::Get:
        reply = m_network.get(request);
        break;
    case Method::Post:
        reply = m_network.post(request, body);
        break;
    case Method::Delete:
        reply = m_network.deleteResource(request);
        break;
    }
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        HttpOutcome out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (out.status == 0)
            out.networkError = reply->errorString();
        out.body = QJsonDocument::fromJson(reply->readAll()).object();
        done(std::move(out));
    });
}

void TwitchApi::requestAppToken() {
    if (m_tokenRequestInFlight)
        return;
    m_tokenRequestInFlight = true;
    QUrl url = m_endpoints.auth;
    url.setPath(url.path() + QStringLiteral("/token"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("client_id"), m_clientId);
    form.addQueryItem(QStringLiteral("client_secret"), QString::fromUtf8(m_clientSecret));
    form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("client_credentials"));
    send(request, Method::Post, form.query(QUrl::FullyEncoded).toLatin1(), [this](HttpOutcome out) {
        m_tokenRequestInFlight = false;
        const QByteArray token = out.body.value(QLatin1String("access_token")).toString().toLatin1();
        if (!out.ok() || token.isEmpty()) {
            const std::chrono::milliseconds delay = m_tokenBackoff.next();
            qCWarning(lcTwitch).noquote() << "app access token request failed:" << out.describe()
                                          << "- retrying in" << delay.count() / 1000 << "s";
            m_tokenRetry.start(delay);
            return;
        }
        m_tokenBackoff.reset();
        m_appToken = token;
        qCInfo(lcTwitch) << "app access token obtained, expires in"
                         << out.body.value(QLatin1String("expires_in")).toInteger() << "s";
        Q_EMIT appTokenChanged(true);
        const auto waiting = std::exchange(m_waitingForToken, {});
        for (const auto &f : waiting)
            f();
    });
}

void TwitchApi::validateUserToken(const QString &token, std::function<void(HttpOutcome, TokenInfo)> done) {
    QUrl url = m_endpoints.auth;
    url.setPath(url.path() + QStringLiteral("/validate"));
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "OAuth " + token.toUtf8());
    send(request, Method::Get, {}, [done = std::move(done)](HttpOutcome out) {
        TokenInfo info;
        info.clientId = out.body.value(QLatin1String("client_id")).toString();
        info.userId = out.body.value(QLatin1String("user_id")).toString();
        info.login = out.body.value(QLatin1String("login")).toString();
        for (const QJsonValue s : out.body.value(QLatin1String("scopes")).toArray())
            info.scopes.append(s.toString());
        done(std::move(out), std::move(info));
    });
}

void TwitchApi::helix(Method method, const QString &path, const QUrlQuery &query, const QJsonObject &body,
                      std::function<void(HttpOutcome)> done, bool retriedAfter401) {
    if (m_appToken.isEmpty()) {
        m_waitingForToken.append([=, this] { helix(method, path, query, body, done, retriedAfter401); });
        requestAppToken();
        return;
    }
    QUrl url = m_endpoints.helix;
    url.setPath(url.path() + path);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + m_appToken);
    request.setRawHeader("Client-Id", m_clientId.toUtf8());
    if (method == Method::Post)
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QByteArray payload =
        method == Method::Post ? QJsonDocument(body).toJson(QJsonDocument::Compact) : QByteArray();
    send(request, method, payload, [=, this](HttpOutcome out) {
        if (out.status == 401 && !retriedAfter401) {
            // The app token expired or was revoked: get a new one and try once more.
            qCInfo(lcTwitch) << "app access token rejected; requesting a new one";
            m_appToken.clear();
            Q_EMIT appTokenChanged(false);
            helix(method, path, query, body, done, true);
            return;
        }
        done(std::move(out));
    });
}

void TwitchApi::createSubscription(const QString &type, const QString &version, const QJsonObject &condition,
                                   const QString &callback, const QByteArray &secret,
                                   std::function<void(HttpOutcome)> done) {
    const QJsonObject body{{"type", type},
                           {"version", version},
                           {"condition", condition},
                           {"transport", QJsonObject{{"method", "webhook"},
                                                     {"callback", callback},
                                                     {"secret", QString::fromLatin1(secret)}}}};
    helix(Method::Post, QStringLiteral("/eventsub/subscriptions"), {}, body, std::move(done));
}

void TwitchApi::listSubscriptions(const QPair<QString, QString> &filter,
                                  std::function<void(HttpOutcome, QList<EventSubSubscription>)> done) {
    listPage(filter, {}, {}, std::move(done));
}

void TwitchApi::listPage(const QPair<QString, QString> &filter, const QString &cursor,
                         QList<EventSubSubscription> acc,
                         std::function<void(HttpOutcome, QList<EventSubSubscription>)> done) {
    QUrlQuery query;
    if (!filter.first.isEmpty())
        query.addQueryItem(filter.first, filter.second);
    if (!cursor.isEmpty())
        query.addQueryItem(QStringLiteral("after"), cursor);
    helix(Method::Get, QStringLiteral("/eventsub/subscriptions"), query, {},
          [=, this, acc = std::move(acc)](HttpOutcome out) mutable {
              if (!out.ok()) {
                  done(std::move(out), {});
                  return;
              }
              for (const QJsonValue v : out.body.value(QLatin1String("data")).toArray())
                  acc.append(EventSubSubscription::fromJson(v.toObject()));
              const QString next = out.body.value(QLatin1String("pagination"))
                                       .toObject()
                                       .value(QLatin1String("cursor"))
                                       .toString();
              if (next.isEmpty() || next == cursor)
                  done(std::move(out), std::move(acc));
              else
                  listPage(filter, next, std::move(acc), std::move(done));
          });
}

void TwitchApi::deleteSubscription(const QString &id, std::function<void(HttpOutcome)> done) {
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("id"), id);
    helix(Method::Delete, QStringLiteral("/eventsub/subscriptions"), query, {}, std::move(done));
}

} // namespace streams::relay
