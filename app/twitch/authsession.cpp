#include "twitch/authsession.h"

#include "twitch/deviceflow.h"
#include "twitch/oauthform.h"
#include "twitch/tokenstore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkReply>

Q_LOGGING_CATEGORY(lcAuth, "streams.app.auth")

namespace streams::app {

QString encodeLogin(const StoredLogin &login) {
    if (login.refreshToken.isEmpty())
        return login.accessToken;
    return QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("access_token"), login.accessToken},
                                                       {QStringLiteral("refresh_token"), login.refreshToken},
                                                       {QStringLiteral("expires_at"), login.expiresAt}})
                                 .toJson(QJsonDocument::Compact));
}

StoredLogin decodeLogin(const QString &stored) {
    if (!stored.startsWith(QLatin1Char('{')))
        return {stored.trimmed(), {}, 0};
    const QJsonObject o = QJsonDocument::fromJson(stored.toUtf8()).object();
    return {o.value(QLatin1String("access_token")).toString(),
            o.value(QLatin1String("refresh_token")).toString(),
            qint64(o.value(QLatin1String("expires_at")).toDouble())};
}

AuthSession::AuthSession(QNetworkAccessManager &network, QUrl authBase, QString clientId, TokenStore &store,
                         QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_authBase(std::move(authBase))
    , m_clientId(std::move(clientId))
    , m_store(store)
    , m_now([] { return QDateTime::currentSecsSinceEpoch(); }) {
    m_hourly.setInterval(60 * 60 * 1000);
    connect(&m_hourly, &QTimer::timeout, this, [this] {
        if (m_state == State::LoggedIn)
            validate(m_token, false);
    });
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_state == State::Validating)
            validate(m_token, true);
    });
}

void AuthSession::restore() {
    m_store.load(this, [this](const QString &stored) {
        const StoredLogin login = decodeLogin(stored);
        if (login.accessToken.isEmpty())
            return;
        m_refreshToken = login.refreshToken;
        m_expiresAt = login.expiresAt;
        validate(login.accessToken, true); // a 401 here renews first when a refresh token is kept
    });
}

void AuthSession::signIn(const QString &token) {
    m_refreshToken.clear();
    m_expiresAt = 0;
    validate(token, true);
}

void AuthSession::signIn(const TokenPair &tokens) {
    m_refreshToken = tokens.refreshToken;
    m_expiresAt = tokens.expiresIn > 0 ? m_now() + tokens.expiresIn : 0;
    validate(tokens.accessToken, true);
}

void AuthSession::withToken(bool renewNow, std::function<void(QString)> use) {
    if (m_state != State::LoggedIn) {
        use({});
        return;
    }
    const bool expiring = m_expiresAt > 0 && m_now() >= m_expiresAt - 120;
    if ((renewNow || expiring) && canRenew()) {
        renew(std::move(use));
        return;
    }
    if (renewNow) {
        // No way to renew an implicit-grant token: check it once; a dead one ends the session once.
        validate(m_token, false);
        use({});
        return;
    }
    use(m_token);
}

void AuthSession::renew(std::function<void(QString)> done) {
    m_waiting.append(std::move(done));
    if (m_waiting.size() > 1)
        return; // one refresh in flight serves everyone
    const QString refreshToken = m_refreshToken;
    auto renewed = [this, refreshToken](DeviceFlow::Renewal r) {
        const auto waiting = std::exchange(m_waiting, {});
        if (refreshToken != m_refreshToken) {
            // A logout or another login came since: this answer is about a login we let go.
        } else if (r.tokens) {
            m_token = r.tokens->accessToken;
            if (!r.tokens->refreshToken.isEmpty())
                m_refreshToken = r.tokens->refreshToken; // each refresh token works once
            m_expiresAt = r.tokens->expiresIn > 0 ? m_now() + r.tokens->expiresIn : 0;
            qCInfo(lcAuth) << "access token renewed";
            if (m_state == State::LoggedIn) {
                keep();
                Q_EMIT tokenRenewed(m_token);
            } else {
                validate(m_token, true, false); // restoring: learn who this is, then keep it
            }
        } else if (r.rejected) {
            endSession(tr("Your Twitch login has expired or was revoked. Please log in again."));
        } else {
            qCInfo(lcAuth) << "token renewal unreachable";
            if (m_state == State::Validating)
                validateAgainLater();
            Q_EMIT validationFailed(tr("Twitch cannot be reached to renew your login; retrying later."));
        }
        const QString token = m_state == State::LoggedIn ? m_token : QString();
        for (const auto &w : waiting)
            w(token);
    };
    DeviceFlow::refresh(m_network, m_authBase, m_clientId, refreshToken, this, std::move(renewed));
}

void AuthSession::keep() {
    m_store.save(encodeLogin({m_token, m_refreshToken, m_expiresAt}), this, [](bool) {});
}

void AuthSession::validate(const QString &token, bool fresh, bool mayRenew) {
    if (fresh) {
        m_state = State::Validating;
        m_token = token; // kept to check again while Twitch cannot be reached
        m_retry.stop();
    }
    QUrl url = m_authBase;
    url.setPath(url.path() + QStringLiteral("/validate"));
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "OAuth " + token.toUtf8()); // OAuth, not Bearer, for /validate
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, token, fresh, mayRenew] {
        reply->deleteLater();
        if (token != m_token)
            return; // a logout or another login came since: this answer is about a token we let go
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
            m_retry.stop();
            m_retryBackoff.reset();
            m_hourly.start();
            const qint64 left = body.value(QLatin1String("expires_in")).toInteger();
            if (left > 0 && !m_refreshToken.isEmpty())
                m_expiresAt = m_now() + left;
            if (fresh || !wasLoggedIn) {
                keep();
                Q_EMIT loggedIn(account);
            }
            return;
        }
        if (status == 401 && mayRenew && !m_refreshToken.isEmpty()) {
            // Expired is normal for a device-code login: renew it, and end the session only if that fails.
            renew([](const QString &) {});
            return;
        }
        if (status == 401 || status == 200) {
            endSession(status == 200
                           ? tr("This login belongs to another application. Please log in again.")
                           : tr("Your Twitch login has expired or was revoked. Please log in again."));
            return;
        }
        // Twitch unreachable: a session keeps going and is checked at the next interval; a login not yet
        // validated stays so (nobody knows whose it is) and is checked again soon.
        qCInfo(lcAuth) << "token validation unreachable, status" << status;
        if (m_state == State::Validating)
            validateAgainLater();
        Q_EMIT validationFailed(tr("Twitch cannot be reached to check your login; retrying later."));
    });
}

void AuthSession::validateAgainLater() {
    m_retry.start(qMin(m_retryBackoff.nextMs(), m_hourly.interval()));
}

int AuthSession::nextCheckInMs() const {
    int next = 0;
    for (const QTimer *timer : {&m_hourly, &m_retry})
        if (timer->isActive() && (next == 0 || timer->remainingTime() < next))
            next = qMax(1, timer->remainingTime());
    return next;
}

void AuthSession::endSession(const QString &reason) {
    const bool wasActive = m_state != State::LoggedOut;
    m_state = State::LoggedOut;
    m_hourly.stop();
    m_retry.stop();
    m_retryBackoff.reset();
    m_token.clear();
    m_refreshToken.clear();
    m_expiresAt = 0;
    m_account = {};
    m_store.clear();
    for (const auto &w : std::exchange(m_waiting, {}))
        w({}); // a renewal still in flight serves nobody any more
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
