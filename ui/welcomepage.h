#pragma once

// The first thing a new user sees: what the app does and "Log in with Twitch". It also says when the relay
// cannot be reached (with Retry and a field for its address) and why a session ended. Without a relay it
// says what one adds and offers the field behind "Use a relay…".

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;

namespace streams::ui {

class WelcomePage : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePage(QWidget *parent = nullptr);

    enum class State { Connecting, Ready, RelayProblem };
    void setState(State state, const QString &message = {});
    // A sentence above the login button (why the last session ended, a keychain limitation, …).
    void setNotice(const QString &text);
    void setRelayUrl(const QUrl &url);
    // No relay in use: Ready offers "Use a relay…", which shows the address field.
    void setRelayOptional(bool optional);

    QPushButton *loginButton() const { return m_login; }
    QPushButton *useRelayButton() const { return m_useRelay; }
    bool relayFieldVisible() const;
    QString message() const;
    QString notice() const;

Q_SIGNALS:
    void loginRequested();
    void codeLoginRequested();
    void relayChosen(const QUrl &url);

private:
    QLabel *m_message;
    QLabel *m_notice;
    QPushButton *m_login;
    QPushButton *m_code;
    QPushButton *m_useRelay;
    QWidget *m_relayRow;
    QLineEdit *m_relay;
    State m_state = State::Connecting;
    bool m_relayOptional = false;
};

} // namespace streams::ui
