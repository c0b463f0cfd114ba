#pragma once

// The composition of the desktop app's screens: welcome (login), streamer picker, stream page; the
// menus and shortcuts for every action; the status bar (account, the sources — relay, EventSub, chat — and
// live); notifications. With no relay set, the app runs on its own (EventSub, chat and Helix with the
// user's token) when it knows the Twitch application's client id.

#include "channellist.h"
#include "exportdialog.h"
#include "platform/backoff.h"
#include "relayclient/relayconfig.h"
#include "twitch/endpoints.h"

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <memory>

class QLabel;
class QStackedWidget;
class QNetworkAccessManager;

namespace streams::app {
class LocalStore;
class Services;
class Settings;
class TokenStore;
struct Account;
} // namespace streams::app

namespace streams::ui {

class AvatarCache;
class LoginDialog;
class Notifier;
class PickerPage;
class SettingsDialog;
class StreamPage;
class WelcomePage;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Context {
        QNetworkAccessManager &network;
        app::Settings &settings;
        app::LocalStore &store;
        app::TokenStore &tokens;
        app::TwitchEndpoints endpoints;
        QString startupNotice; // e.g. the event history was damaged and moved aside
        QString clientId;      // the Twitch application when no relay names one (TWITCH_CLIENT_ID)
    };
    explicit MainWindow(Context context, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Asks the relay for its configuration (none set: goes on without one), then restores a stored login.
    void start();

    enum class Page { Welcome, Picker, Stream };
    Page page() const;
    app::Services *services() const { return m_services.get(); }
    WelcomePage *welcomePage() const { return m_welcome; }
    PickerPage *pickerPage() const { return m_picker; }
    StreamPage *streamPage() const { return m_stream; }
    LoginDialog *loginDialog() const;
    SettingsDialog *settingsDialog() const;
    Notifier *notifier() const { return m_notifier; }
    QString accountStatus() const;
    QString relayStatus() const;
    QString chatStatus() const;
    QString eventSubStatus() const;
    QString liveStatus() const;
    // Where an export is saved: QFileDialog unless replaced (tests name the file themselves).
    void setSaveFileChooser(SaveFileChooser chooser) { m_chooseSaveFile = std::move(chooser); }
    FeedExportFlow *exportFlow() const { return m_export; }

public Q_SLOTS:
    void login(bool forceVerify = false);
    void loginWithCode();
    void logout();
    void changeStreamer();
    void openSettings();
    void openStream(const streams::ui::ChannelItem &channel);
    // The open streamer's events of a period, as the feed filters them, to a CSV or JSON file.
    void exportEvents();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void connectRelay(const QUrl &relay);
    void startWithoutRelay();
    void dropServices();
    QString readyMessage() const; // the welcome page's line once it can log in
    void buildServices(const QUrl &relay, const app::RelayConfig &config);
    void createMenus();
    void onLoggedIn(const app::Account &account);
    void onLoggedOut(const QString &reason);
    void updateRelayStatus();
    void updateRelayProblem();
    void updateChatStatus();
    void updateEventSubStatus();
    void showPage(Page page);
    LoginDialog *openLoginDialog(bool forceVerify);
    void loginDialogFinished(int result);

    Context m_ctx;
    std::unique_ptr<AvatarCache> m_avatars;
    std::unique_ptr<app::Services> m_services;
    QStackedWidget *m_pages;
    WelcomePage *m_welcome;
    PickerPage *m_picker = nullptr;
    StreamPage *m_stream = nullptr;
    Notifier *m_notifier = nullptr;
    QPointer<LoginDialog> m_loginDialog;
    QPointer<SettingsDialog> m_settingsDialog;
    QPointer<FeedExportFlow> m_export;
    SaveFileChooser m_chooseSaveFile = fileDialogChooser();
    QLabel *m_accountLabel;
    QLabel *m_relayLabel;
    QLabel *m_chatLabel;
    QLabel *m_eventSubLabel;
    QLabel *m_liveLabel;
    QTimer m_relayTicker;
    QList<QAction *> m_loggedInActions;
    QAction *m_loginAction = nullptr;
    QAction *m_codeLoginAction = nullptr;
    QAction *m_dndAction = nullptr;
    QMenu *m_trayMenu = nullptr;
    int m_configGeneration = 0;
    // The relay's configuration could not be fetched: when and where to try again.
    QTimer m_configTicker;
    QString m_configProblem;
    QUrl m_configRetryUrl;
    qint64 m_configRetryAt = 0;
    Backoff m_configBackoff{{std::chrono::seconds(5), std::chrono::seconds(60)}}; // 5, 10, 20, 40, 60 s
};

} // namespace streams::ui
