#pragma once

// The login's life: a token is validated (Authorization: OAuth) at start and every hour, as Twitch
// requires; an invalid one moves the session to logged-out once, with one reason; logout revokes it.
// Where the token lives is the TokenStore's business.

#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QUrl>

namespace streams::app {

class TokenStore;

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
    // Revokes the token at Twitch, forgets it here; the session is logged out either way.
    void logout();
    // Hourly by default; tests shorten it.
    void setValidationInterval(int ms) { m_hourly.setInterval(ms); }

    State state() const { return m_state; }
    Account account() const { return m_account; }
    QString token() const { return m_token; }

Q_SIGNALS:
    void loggedIn(const streams::app::Account &account);
    void loggedOut(const QString &reason);        // once per logout, never repeated
    void validationFailed(const QString &reason); // Twitch unreachable: the session stays, we retry later

private:
    void validate(const QString &token, bool fresh);
    void endSession(const QString &reason);

    QNetworkAccessManager &m_network;
    QUrl m_authBase;
    QString m_clientId;
    TokenStore &m_store;
    State m_state = State::LoggedOut;
    QString m_token;
    Account m_account;
    QTimer m_hourly;
};

} // namespace streams::app

Q_DECLARE_METATYPE(streams::app::Account)
