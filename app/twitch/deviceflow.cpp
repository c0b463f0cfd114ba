#include "twitch/deviceflow.h"

#include "twitch/oauthform.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace streams::app {
namespace {

std::optional<TokenPair> tokensOf(const QJsonObject &o) {
    TokenPair t{o.value(QLatin1String("access_token")).toString(),
                o.value(QLatin1String("refresh_token")).toString(),
                o.value(QLatin1String("expires_in")).toInt()};
    if (t.accessToken.isEmpty())
        return std::nullopt;
    return t;
}

} // namespace

DeviceFlow::DeviceFlow(QNetworkAccessManager &network, QUrl authBase, QString clientId, QStringList scopes,
                       QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_authBase(std::move(authBase))
    , m_clientId(std::move(clientId))
    , m_scopes(std::move(scopes)) {
    m_poll.setSingleShot(true);
    connect(&m_poll, &QTimer::timeout, this, &DeviceFlow::poll);
}

void DeviceFlow::start() {
    const OAuthForm form{
        {QStringLiteral("client_id"), m_clientId},
        {QStringLiteral("scopes"), m_scopes.join(QLatin1Char(' '))}}; // "scopes", plural, here
    QNetworkReply *reply = postOAuthForm(m_network, m_authBase, QStringLiteral("/device"), form);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        m_deviceCode = o.value(QLatin1String("device_code")).toString();
        if (m_deviceCode.isEmpty()) {
            Q_EMIT failed(tr("Twitch did not start the code login (%1).")
                              .arg(o.value(QLatin1String("message")).toString(reply->errorString())));
            return;
        }
        const int interval = qMax(1, o.value(QLatin1String("interval")).toInt(5));
        m_poll.setInterval(interval * 1000);
        m_poll.start();
        Q_EMIT codeReady(o.value(QLatin1String("user_code")).toString(),
                         QUrl(o.value(QLatin1String("verification_uri")).toString()),
                         o.value(QLatin1String("expires_in")).toInt());
    });
}

void DeviceFlow::cancel() {
    m_poll.stop();
    m_deviceCode.clear();
}

void DeviceFlow::poll() {
    if (m_deviceCode.isEmpty())
        return;
    const OAuthForm form{
        {QStringLiteral("client_id"), m_clientId},
        {QStringLiteral("scopes"), m_scopes.join(QLatin1Char(' '))},
        {QStringLiteral("device_code"), m_deviceCode},
        {QStringLiteral("grant_type"), QStringLiteral("urn:ietf:params:oauth:grant-type:device_code")}};
    QNetworkReply *reply = postOAuthForm(m_network, m_authBase, QStringLiteral("/token"), form);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (m_deviceCode.isEmpty())
            return; // cancelled meanwhile
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        if (const auto tokens = tokensOf(o)) {
            m_deviceCode.clear();
            Q_EMIT succeeded(*tokens);
            return;
        }
        const QString message = o.value(QLatin1String("message")).toString();
        if (message == u"authorization_pending" || message == u"slow_down" || o.isEmpty()) {
            m_poll.start(); // not yet (or a network hiccup): ask again at the interval
            return;
        }
        m_deviceCode.clear();
        Q_EMIT failed(message == u"access_denied"   ? tr("The code login was declined on Twitch.")
                      : message == u"expired_token" ? tr("The code expired. Start again for a new one.")
                                                    : tr("Twitch refused the code login (%1).").arg(message));
    });
}

void DeviceFlow::refresh(QNetworkAccessManager &network, const QUrl &authBase, const QString &clientId,
                         const QString &refreshToken, QObject *context, std::function<void(Renewal)> done) {
    Q_ASSERT(context);
    const OAuthForm form{{QStringLiteral("client_id"), clientId},
                         {QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                         {QStringLiteral("refresh_token"), refreshToken}};
    QNetworkReply *reply = postOAuthForm(network, authBase, QStringLiteral("/token"), form);
    QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    QObject::connect(reply, &QNetworkReply::finished, context, [reply, done = std::move(done)] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        Renewal r;
        r.tokens = status == 200 ? tokensOf(o) : std::nullopt;
        if (!r.tokens) {
            r.error = o.value(QLatin1String("message")).toString(reply->errorString());
            r.rejected = status == 400 || status == 401;
        }
        done(std::move(r));
    });
}

} // namespace streams::app
