#include "relayclient/relayconfig.h"

#include "protocol/messages.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QPointer>

namespace streams::app {

QUrl relayRoute(const QUrl &relay, const QString &route) {
    QUrl url = relay;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + route);
    return url;
}

std::optional<RelayConfig> parseRelayConfig(const QByteArray &json, QString *error) {
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return std::nullopt;
    };
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (!doc.isObject())
        return fail(QCoreApplication::translate("RelayConfig", "the answer is not a relay configuration"));
    const QJsonObject o = doc.object();
    RelayConfig config;
    config.clientId = o.value(QLatin1String("client_id")).toString();
    for (const QJsonValue s : o.value(QLatin1String("scopes")).toArray())
        config.scopes.append(s.toString());
    config.protocol = o.value(QLatin1String("protocol")).toInt();
    config.redirectUri =
        QUrl(o.value(QLatin1String("redirect_uri")).toString(QStringLiteral("http://localhost:17563")));
    if (config.clientId.isEmpty())
        return fail(
            QCoreApplication::translate("RelayConfig", "the relay did not name its Twitch application"));
    if (config.protocol != protocol::kVersion)
        return fail(
            QCoreApplication::translate("RelayConfig", "the relay speaks protocol %1, this app speaks %2")
                .arg(config.protocol)
                .arg(protocol::kVersion));
    if (!config.redirectUri.isValid())
        return fail(QCoreApplication::translate("RelayConfig", "the relay's redirect URI is not a URL"));
    return config;
}

void fetchRelayConfig(QNetworkAccessManager &network, const QUrl &relay,
                      std::function<void(std::optional<RelayConfig>, QString)> done, QObject *context) {
    if (!relay.isValid() || (relay.scheme() != u"http" && relay.scheme() != u"https") ||
        relay.host().isEmpty()) {
        done(std::nullopt,
             QCoreApplication::translate("RelayConfig", "“%1” is not an http:// or https:// address")
                 .arg(relay.toString()));
        return;
    }
    QNetworkRequest request(relayRoute(relay, QStringLiteral("/api/v1/config")));
    request.setTransferTimeout(10000);
    QNetworkReply *reply = network.get(request);
    QPointer<QObject> guard(context);
    QObject::connect(reply, &QNetworkReply::finished, reply, [reply, guard, done = std::move(done)] {
        reply->deleteLater();
        if (!guard)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() != QNetworkReply::NoError && status == 0) {
            done(std::nullopt, QCoreApplication::translate("RelayConfig", "the relay cannot be reached (%1)")
                                   .arg(reply->errorString()));
            return;
        }
        if (status != 200) {
            done(std::nullopt,
                 QCoreApplication::translate("RelayConfig", "the relay answered %1; is this a Streams relay?")
                     .arg(status));
            return;
        }
        QString error;
        auto config = parseRelayConfig(reply->readAll(), &error);
        done(config, error);
    });
}

} // namespace streams::app
