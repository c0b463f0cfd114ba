#include "twitch/authsession.h"

#include "twitch/oauthform.h"
#include "twitch/tokenstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkReply>

Q_LOGGING_CATEGORY(lcAuth, "streams.app.auth")

namespace streams::app {

AuthSession::AuthSession(QNetworkAccessManager &network, QUrl authBase, QString clientId, TokenStore &store,
                         QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_authBase(std::move(authBase))
    , m_clientId(std::move(clientId))
    , m_store(store) {
    m_hourly.setInterval(60 * 60 * 1000);
    connect(&m_hourly, &QTimer::timeout, this, [this] {
        if (m_state == State::LoggedIn)
            validate(m_token, false);
    });
}

void AuthSession::restore() {
    m_store.load([this](const QString &token) {
        if (!token.isEmpty())
            validate(token, true);
    });
}

void AuthSession::signIn(const QString &token) {
    validate(token, true);
}

void AuthSession::validate(const QString &token, bool fresh) {
    if (fresh)
        m_state = State::Validating;
    QUrl url = m_authBase;
    url.setPath(url.path() + QStringLiteral("/validate"));
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "OAuth " + token.toUtf8()); // OAuth, not Bearer, for /validate
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, token, fresh] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
        if (status == 200 && body.value(QLatin1String("client_id")).toString() == m_clientId &&
            !body.value(QLatin1String("user_id")).toString().isEmpty()) {
            Account account{body.value(QLatin1String("user_id")).toString(),
                            body.value(QLatin1String("login")).toString(),
                            {}};
            for (const QJsonValue s : body.value(QLatin1String("scopes")).toArray())
                account.scopes.append(s.toString());
            const bool wasLoggedIn = m_state == State::LoggedIn;
            m_token = token;
            m_account = account;
            m_state = State::LoggedIn;
            m_hourly.start();
            if (fresh || !wasLoggedIn) {
                m_store.save(token, [](bool) {});
                Q_EMIT loggedIn(account);
            }
            return;
        }
        if (status == 401 || status == 200) {
            endSession(status == 200
                           ? tr("This login belongs to another application. Please log in again.")
                           : tr("Your Twitch login has expired or was revoked. Please log in again."));
            return;
        }
        // Twitch unreachable: keep the session, try again at the next interval.
        qCInfo(lcAuth) << "token validation unreachable, status" << status;
        if (m_state == State::Validating) {
            m_state = State::LoggedIn;
            m_token = token;
            m_hourly.start();
        }
        Q_EMIT validationFailed(tr("Twitch cannot be reached to check your login; retrying later."));
    });
}

void AuthSession::endSession(const QString &reason) {
    const bool wasActive = m_state != State::LoggedOut;
    m_state = State::LoggedOut;
    m_hourly.stop();
    m_token.clear();
    m_account = {};
    m_store.clear();
    if (wasActive)
        Q_EMIT loggedOut(reason);
}

void AuthSession::logout() {
    if (!m_token.isEmpty()) {
        QNetworkReply *reply =
            postOAuthForm(m_network, m_authBase, QStringLiteral("/revoke"),
                          {{QStringLiteral("client_id"), m_clientId}, {QStringLiteral("token"), m_token}});
        connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    }
    endSession(tr("You logged out."));
}

} // namespace streams::app
