#pragma once

// OAuth implicit grant as Twitch runs it (twitch-platform.md 4.1): the authorize URL, and the verdict on
// each URL the login browser navigates to — not ours, a token from the fragment, or an error from the
// query string. A redirect whose `state` is not ours is refused.

#include <QStringList>
#include <QUrl>

namespace streams::app {

class ImplicitGrant {
public:
    // A random `state` is made for each instance; forceVerify shows Twitch's consent again (account switch).
    ImplicitGrant(QUrl authBase, QString clientId, QUrl redirectUri, QStringList scopes,
                  bool forceVerify = false);

    QUrl authorizeUrl() const;
    QString state() const { return m_state; }

    enum class Outcome { NotMine, Success, Failure };
    struct Verdict {
        Outcome outcome = Outcome::NotMine;
        QString token;       // Success
        QStringList scopes;  // Success
        QString error;       // Failure: Twitch's error code, or "state_mismatch" / "missing_token"
        QString description; // Failure: a sentence for the user
    };
    Verdict inspect(const QUrl &navigation) const;

private:
    QUrl m_authBase;
    QString m_clientId;
    QUrl m_redirectUri;
    QStringList m_scopes;
    bool m_forceVerify;
    QString m_state;
};

} // namespace streams::app
