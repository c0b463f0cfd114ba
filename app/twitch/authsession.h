#pragma once

// The login's life: a token is validated (Authorization: OAuth) at start and every hour, as Twitch
// requires; an invalid one moves the session to logged-out once, with one reason; logout revokes it.
// Nobody is logged in before Twitch has said who the token belongs to: when Twitch cannot be reached at
// start, the session keeps validating (5 s, doubling to 5 min, never longer than the hourly interval) and
// logs in when Twitch answers.
// A device-code login also has a refresh token: the access token is renewed shortly before it expires
// (when someone asks for it) and whenever Twitch answers 401. Where the tokens live is the TokenStore's
// business; it keeps them as one opaque string (see encodeLogin).

#include "platform/backoff.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <functional>

namespace streams::app {

class TokenStore;
struct TokenPair;

// What the keychain holds: the access token alone (implicit grant, the form older versions kept), or a
// small JSON object with the refresh token and the expiry too.
struct StoredLogin {
    QString accessToken;
    QString refreshToken;
    qint64 expiresAt = 0; // epoch seconds; 0 when unknown
};
QString encodeLogin(const StoredLogin &login);
StoredLogin decodeLogin(const QString &stored);

struct Account {
    QString userId;
    QString login;
    QStringList scopes;
};

class AuthSession : public QObject {
    Q_OBJECT
public:
    enum class State { LoggedOut, Validating, LoggedIn };
    Q_ENUM(State)

    AuthSession(QNetworkAccessManager &network, QUrl authBase, QString clientId, TokenStore &store,
                QObject *parent = nullptr);

    // Reads the stored token (if any) and validates it.
    void restore();
    // A token from a login flow: validate it, then keep it.
    void signIn(const QString &token);
    // A device-code login: the same, plus the refresh token that renews it.
    void signIn(const TokenPair &tokens);
    // Hands a usable access token to `use` (empty when logged out): renewed first when it expires within
    // two minutes, or when `renew` says the last one earned a 401. Concurrent renewals share one request.
    void withToken(bool renew, std::function<void(QString token)> use);
    // Revokes the token at Twitch, forgets it here; the session is logged out either way.
    void logout();
    // Hourly by default; tests shorten it.
    void setValidationInterval(int ms) { m_hourly.setInterval(ms); }
    // Seconds since the epoch; tests move it forward.
    void setClock(std::function<qint64()> now) { m_now = std::move(now); }

    State state() const { return m_state; }
    Account account() const { return m_account; }
    QString token() const { return m_token; }
    bool canRenew() const { return !m_refreshToken.isEmpty(); }
    // Milliseconds until the token is checked again (the hourly check, or a retry while Twitch cannot be
    // reached); 0 when no check is scheduled, as after a logout.
    int nextCheckInMs() const;

Q_SIGNALS:
    void loggedIn(const streams::app::Account &account);
    void loggedOut(const QString &reason);        // once per logout, never repeated
    void validationFailed(const QString &reason); // Twitch unreachable: the session stays, we retry later
    void tokenRenewed(const QString &token);      // a refresh gave a new access token (already stored)

private:
    void validate(const QString &token, bool fresh, bool mayRenew = true);
    void validateAgainLater(); // validating, and Twitch could not be reached
    void renew(std::function<void(QString)> done);
    void keep();
    void endSession(const QString &reason);

    QNetworkAccessManager &m_network;
    QUrl m_authBase;
    QString m_clientId;
    TokenStore &m_store;
    State m_state = State::LoggedOut;
    QString m_token;
    QString m_refreshToken;
    qint64 m_expiresAt = 0;
    Account m_account;
    QTimer m_hourly;
    QTimer m_retry;
    Backoff m_retryBackoff{{std::chrono::seconds(5), std::chrono::minutes(5)}}; // validating, Twitch away
    std::function<qint64()> m_now;
    QList<std::function<void(QString)>> m_waiting; // callers of a renewal in flight
};

} // namespace streams::app

Q_DECLARE_METATYPE(streams::app::Account)
