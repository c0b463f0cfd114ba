#pragma once

// Logging in: Twitch's authorize page in an embedded browser with an off-the-record profile. The redirect
// to the registered URI is intercepted (nothing listens there); a denial, a network failure and a wrong
// `state` each become a sentence with "Try again". "Log in with a code instead" runs the device-code flow:
// the code, the activation link, a copy button, and a progress bar while Twitch waits for the user.

#include "twitch/deviceflow.h"
#include "twitch/implicitgrant.h"

#include <QDialog>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QWebEngineProfile;
class QWebEngineView;

namespace streams::ui {

class LoginPage;

class LoginDialog : public QDialog {
    Q_OBJECT
public:
    struct Params {
        QUrl authBase;
        QString clientId;
        QUrl redirectUri;
        QStringList scopes;
        bool forceVerify = false; // account switch: show Twitch's consent again
    };
    LoginDialog(QNetworkAccessManager &network, Params params, QWidget *parent = nullptr);
    ~LoginDialog() override;

    // Set once the dialog is accepted: an implicit-grant token, or a device-code token pair.
    QString token() const { return m_token; }
    std::optional<app::TokenPair> tokens() const { return m_tokens; }

    // For tests and accessibility tools.
    QWebEngineView *browser() const { return m_browser; }
    QString errorText() const;
    bool showingError() const;
    bool showingDeviceCode() const;
    QString deviceCode() const;

public Q_SLOTS:
    void startBrowserLogin();
    void startDeviceLogin();

private:
    void showError(const QString &sentence, bool retryBrowser);
    void onNavigation(const QUrl &url, bool *accept);

    QNetworkAccessManager &m_network;
    Params m_params;
    std::unique_ptr<app::ImplicitGrant> m_grant;
    std::unique_ptr<app::DeviceFlow> m_device;
    QString m_token;
    std::optional<app::TokenPair> m_tokens;
    bool m_retryBrowser = true;

    QStackedWidget *m_pages;
    QWebEngineProfile *m_profile;
    LoginPage *m_page;
    QWebEngineView *m_browser;
    QProgressBar *m_loading;
    QLabel *m_error;
    QLabel *m_code;
    QLabel *m_codeHelp;
    QLabel *m_codeExpiry;
    QUrl m_verificationUri;
};

} // namespace streams::ui
