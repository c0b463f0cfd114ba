#include "mainwindow.h"

#include "avatarcache.h"
#include "feedpanel.h"
#include "logindialog.h"
#include "notifier.h"
#include "pickerpage.h"
#include "playerview.h"
#include "services/services.h"
#include "settingsdialog.h"
#include "sourcebanner.h"
#include "store/localstore.h"
#include "store/settings.h"
#include "streampage.h"
#include "theme.h"
#include "twitch/eventsubmessage.h"
#include "twitch/tokenstore.h"
#include "welcomepage.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QStackedWidget>
#include <QStatusBar>

namespace streams::ui {

MainWindow::MainWindow(Context context, QWidget *parent)
    : QMainWindow(parent)
    , m_ctx(std::move(context))
    , m_avatars(std::make_unique<AvatarCache>(m_ctx.network)) {
    setWindowTitle(QApplication::applicationDisplayName());
    setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));
    resize(1280, 760);
    if (!m_ctx.settings.windowGeometry().isEmpty())
        restoreGeometry(m_ctx.settings.windowGeometry());
    m_pages = new QStackedWidget(this);
    setCentralWidget(m_pages);
    m_welcome = new WelcomePage(m_pages);
    m_pages->addWidget(m_welcome);
    connect(m_welcome, &WelcomePage::loginRequested, this, [this] { login(); });
    connect(m_welcome, &WelcomePage::codeLoginRequested, this, &MainWindow::loginWithCode);
    connect(m_welcome, &WelcomePage::relayChosen, this, [this](const QUrl &url) { connectRelay(url); });

    m_accountLabel = new QLabel(this);
    m_relayLabel = new QLabel(this);
    m_eventSubLabel = new QLabel(this);
    m_chatLabel = new QLabel(this);
    m_liveLabel = new QLabel(this);
    for (QLabel *l : {m_accountLabel, m_relayLabel, m_eventSubLabel, m_chatLabel, m_liveLabel}) {
        l->setContentsMargins(10, 0, 10, 0);
        statusBar()->addPermanentWidget(l);
    }
    m_accountLabel->setAccessibleName(tr("Account"));
    m_relayLabel->setAccessibleName(tr("Relay connection"));
    m_eventSubLabel->setAccessibleName(tr("Twitch EventSub connection"));
    m_chatLabel->setAccessibleName(tr("Chat connection"));
    m_liveLabel->setAccessibleName(tr("Stream status"));
    m_configTicker.setInterval(1000);
    connect(&m_configTicker, &QTimer::timeout, this, &MainWindow::updateRelayProblem);
    m_relayTicker.setInterval(1000); // the retry countdown
    connect(&m_relayTicker, &QTimer::timeout, this, &MainWindow::updateRelayStatus);
    createMenus();
    m_welcome->setNotice(m_ctx.startupNotice);
    showPage(Page::Welcome);
}

MainWindow::~MainWindow() {
    delete m_loginDialog;
    delete m_settingsDialog;
    // Pages hold references into the services: they go first.
    delete m_stream;
    delete m_picker;
}

void MainWindow::createMenus() {
    QMenu *account = menuBar()->addMenu(tr("&Account"));
    m_loginAction = account->addAction(tr("&Log in with Twitch…"), this, [this] { login(); });
    m_codeLoginAction = account->addAction(tr("Log in with a &code…"), this, &MainWindow::loginWithCode);
    QAction *switchAccount = account->addAction(tr("&Switch account…"), this, [this] { login(true); });
    QAction *logoutAction = account->addAction(tr("Log &out"), this, &MainWindow::logout);
    account->addSeparator();
    QAction *quit = account->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *change = view->addAction(tr("&Change streamer…"), this, &MainWindow::changeStreamer);
    change->setShortcut(QKeySequence(tr("Ctrl+K")));
    QAction *newest = view->addAction(tr("Jump to &newest event"), this, [this] {
        if (m_stream)
            m_stream->feed()->scrollToNewest();
    });
    newest->setShortcut(QKeySequence(tr("Ctrl+Home")));
    view->addSeparator();
    QMenu *theme = view->addMenu(tr("&Theme"));
    auto *themes = new QActionGroup(this);
    for (const auto &[value, name] : {std::pair{app::Settings::Theme::System, tr("&System")},
                                      std::pair{app::Settings::Theme::Light, tr("&Light")},
                                      std::pair{app::Settings::Theme::Dark, tr("&Dark")}}) {
        QAction *a = theme->addAction(name);
        a->setCheckable(true);
        a->setChecked(m_ctx.settings.theme() == value);
        themes->addAction(a);
        connect(a, &QAction::triggered, this, [this, value = value] {
            m_ctx.settings.setTheme(value);
            applyTheme(value);
        });
    }
    m_dndAction = view->addAction(tr("&Do not disturb"));
    m_dndAction->setCheckable(true);
    m_dndAction->setChecked(m_ctx.settings.doNotDisturb());
    m_dndAction->setShortcut(QKeySequence(tr("Ctrl+D")));
    connect(m_dndAction, &QAction::toggled, this, [this](bool on) {
        m_ctx.settings.setDoNotDisturb(on);
        if (m_notifier)
            m_notifier->setDoNotDisturb(on);
    });

    QMenu *stream = menuBar()->addMenu(tr("&Stream"));
    QAction *openBrowser = stream->addAction(tr("&Open in browser"), this, [this] {
        if (m_stream)
            m_stream->player()->openInBrowser();
    });
    openBrowser->setShortcut(QKeySequence(tr("Ctrl+O")));
    QAction *reload = stream->addAction(tr("&Reload player"), this, [this] {
        if (m_stream) {
            m_stream->player()->reload();
            m_stream->refreshLiveState();
        }
    });
    reload->setShortcut(QKeySequence::Refresh);
    stream->addSeparator();
    QAction *exportAction = stream->addAction(tr("&Export events…"), this, &MainWindow::exportEvents);
    exportAction->setShortcut(QKeySequence(tr("Ctrl+E")));

    QMenu *tools = menuBar()->addMenu(tr("&Tools"));
    QAction *settings = tools->addAction(tr("&Settings…"), this, &MainWindow::openSettings);
    settings->setShortcut(QKeySequence::Preferences);
    if (settings->shortcut().isEmpty())
        settings->setShortcut(QKeySequence(tr("Ctrl+,")));
    settings->setMenuRole(QAction::PreferencesRole);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Streams & Events Viewer"), this, [this] {
        QMessageBox::about(
            this, tr("About Streams & Events Viewer"),
            tr("<h3>Streams &amp; Events Viewer %1</h3><p>Watch a Twitch stream next to its live "
               "follows, cheers, subs, gifts and raids.</p><p>Not affiliated with Twitch.</p>")
                .arg(QApplication::applicationVersion()));
    });
    about->setMenuRole(QAction::AboutRole);

    m_loggedInActions = {switchAccount, logoutAction, change, newest, openBrowser, reload, exportAction};
    for (QAction *a : std::as_const(m_loggedInActions))
        a->setEnabled(false);
    m_loginAction->setEnabled(false);
    m_codeLoginAction->setEnabled(false);

    m_trayMenu = new QMenu(this);
    m_trayMenu->addAction(tr("&Show window"), this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    m_trayMenu->addAction(m_dndAction);
    m_trayMenu->addSeparator();
    m_trayMenu->addAction(quit);
}

void MainWindow::start() {
    const QUrl relay = m_ctx.settings.relayUrl();
    if (relay.isEmpty()) {
        startWithoutRelay();
        return;
    }
    connectRelay(relay);
}

void MainWindow::startWithoutRelay() {
    m_configTicker.stop();
    ++m_configGeneration; // a relay's configuration still on its way is no longer wanted
    m_welcome->setRelayUrl({});
    showPage(Page::Welcome);
    const std::optional<app::RelayConfig> config = app::configWithoutRelay(m_ctx.clientId);
    if (!config) {
        // Without a relay nobody names the Twitch application to log in to.
        dropServices();
        m_welcome->setRelayOptional(false);
        m_welcome->setState(WelcomePage::State::RelayProblem,
                            tr("Enter the address of your relay (the server that forwards Twitch's events), "
                               "or start the app with TWITCH_CLIENT_ID set to your Twitch application's "
                               "client ID to use it without a relay."));
        return;
    }
    buildServices({}, *config);
}

void MainWindow::dropServices() {
    delete m_stream;
    delete m_picker;
    delete m_notifier;
    m_stream = nullptr;
    m_picker = nullptr;
    m_notifier = nullptr;
    m_services.reset();
    m_accountLabel->clear();
    m_liveLabel->clear();
    for (QAction *a : std::as_const(m_loggedInActions))
        a->setEnabled(false);
    m_loginAction->setEnabled(false);
    m_codeLoginAction->setEnabled(false);
    updateRelayStatus();
    updateEventSubStatus();
    updateChatStatus();
}

QString MainWindow::readyMessage() const {
    if (!m_services || m_services->hasRelay())
        return {};
    return tr("No relay is set: the app gets the events straight from Twitch — over EventSub for a channel "
              "you broadcast or moderate, from chat for the others, and the latest follows from Twitch. A "
              "relay adds what happened while the app was closed, and serves many clients at once.");
}

void MainWindow::updateRelayProblem() {
    const qint64 left = m_configRetryAt - QDateTime::currentSecsSinceEpoch();
    if (left <= 0) {
        m_configTicker.stop();
        connectRelay(m_configRetryUrl);
        return;
    }
    m_welcome->setState(WelcomePage::State::RelayProblem,
                        m_configProblem + QLatin1Char(' ') + tr("Trying again in %n s.", nullptr, int(left)));
}

void MainWindow::connectRelay(const QUrl &relay) {
    if (relay.isEmpty()) { // the field emptied: no relay
        m_ctx.settings.setRelayUrl({});
        startWithoutRelay();
        return;
    }
    m_configTicker.stop();
    if (relay != m_configRetryUrl)
        m_configBackoff.reset(); // another address: start the back-off afresh
    const int generation = ++m_configGeneration;
    m_welcome->setRelayUrl(relay);
    m_welcome->setRelayOptional(false);
    m_welcome->setState(WelcomePage::State::Connecting,
                        tr("Connecting to the relay at %1…").arg(relay.toString()));
    showPage(Page::Welcome);
    app::fetchRelayConfig(
        m_ctx.network, relay,
        [this, relay, generation](std::optional<app::RelayConfig> config, const QString &error) {
            if (generation != m_configGeneration)
                return;
            if (!config) {
                // Try again by itself (the relay may be restarting, or the network coming back): 5 s,
                // doubling to 60 s. Another address typed in the field goes first.
                m_configProblem = tr("The relay at %1 is not usable: %2.").arg(relay.toString(), error);
                m_configRetryUrl = relay;
                m_configRetryAt = QDateTime::currentSecsSinceEpoch() + m_configBackoff.nextMs() / 1000;
                m_configTicker.start();
                updateRelayProblem();
                return;
            }
            m_configBackoff.reset();
            m_configTicker.stop();
            m_ctx.settings.setRelayUrl(relay);
            buildServices(relay, *config);
        },
        this);
}

void MainWindow::buildServices(const QUrl &relay, const app::RelayConfig &config) {
    dropServices();
    m_services = std::make_unique<app::Services>(m_ctx.network, m_ctx.store, m_ctx.tokens, m_ctx.endpoints,
                                                 relay, config);
    app::Services &s = *m_services;

    m_picker = new PickerPage(s.helix, *m_avatars, m_pages);
    m_pages->addWidget(m_picker);
    connect(m_picker, &PickerPage::chosen, this, &MainWindow::openStream);
    connect(m_picker, &PickerPage::back, this, [this] { showPage(Page::Stream); });
    m_stream = new StreamPage(m_ctx.network, s.helix, s.model, *m_avatars, m_ctx.endpoints.player, m_pages);
    m_stream->restoreSplitterState(m_ctx.settings.splitterState());
    m_pages->addWidget(m_stream);
    connect(m_stream, &StreamPage::changeStreamer, this, &MainWindow::changeStreamer);
    connect(m_stream, &StreamPage::liveChanged, this, [this](bool live, int viewers) {
        m_liveLabel->setText(
            live ? (viewers >= 0 ? tr("● Live · %1 viewers").arg(QLocale().toString(viewers)) : tr("● Live"))
                 : tr("Offline"));
    });
    connect(&s.feed, &app::FeedController::followsAvailability, this,
            [this](bool allowed) { m_stream->feed()->setFollowsAllowed(allowed); });
    connect(&s.feed, &app::FeedController::notice, m_stream->banner(), &SourceBanner::addNotice);
    connect(&s.feed, &app::FeedController::missingScopesChanged, this,
            [this] { m_stream->banner()->setFeaturesNeedingLogin(m_services->feed.featuresNeedingLogin()); });
    connect(m_stream->banner(), &SourceBanner::loginRequested, this, [this] { login(); });
    connect(&s.relay, &app::RelayClient::stateChanged, this, &MainWindow::updateRelayStatus);
    connect(&s.eventSub, &app::EventSubSession::stateChanged, this, &MainWindow::updateEventSubStatus);
    connect(&s.eventSub, &app::EventSubSession::coverageChanged, this, &MainWindow::updateEventSubStatus);
    connect(&s.chat, &app::IrcClient::stateChanged, this, &MainWindow::updateChatStatus);
    connect(&s.auth, &app::AuthSession::loggedIn, this, &MainWindow::onLoggedIn);
    connect(&s.auth, &app::AuthSession::loggedOut, this, &MainWindow::onLoggedOut);
    connect(&s.auth, &app::AuthSession::validationFailed, this,
            [this](const QString &reason) { statusBar()->showMessage(reason, 10000); });

    m_notifier = new Notifier(s.model, m_ctx.settings, this);
    m_notifier->setTrayMenu(m_trayMenu);
    connect(m_notifier, &Notifier::activated, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    connect(m_stream->feed(), &FeedPanel::replayRequested, m_notifier, &Notifier::replay);
    connect(m_stream->feed(), &FeedPanel::exportRequested, this, &MainWindow::exportEvents);

    m_loginAction->setEnabled(true);
    m_codeLoginAction->setEnabled(true);
    m_welcome->setRelayOptional(!s.hasRelay());
    m_welcome->setState(WelcomePage::State::Ready, readyMessage());
    if (const QString limitation = m_ctx.tokens.limitation(); !limitation.isEmpty())
        m_welcome->setNotice(limitation);
    updateRelayStatus();
    updateEventSubStatus();
    updateChatStatus();
    s.auth.restore(); // a stored login goes straight to the stream page
}

MainWindow::Page MainWindow::page() const {
    if (m_pages->currentWidget() == m_stream && m_stream)
        return Page::Stream;
    if (m_pages->currentWidget() == m_picker && m_picker)
        return Page::Picker;
    return Page::Welcome;
}

void MainWindow::showPage(Page page) {
    switch (page) {
    case Page::Welcome:
        m_pages->setCurrentWidget(m_welcome);
        break;
    case Page::Picker:
        m_picker->setCanGoBack(!m_stream->channel().id.isEmpty());
        m_pages->setCurrentWidget(m_picker);
        m_picker->focusSearch();
        break;
    case Page::Stream:
        m_pages->setCurrentWidget(m_stream);
        m_stream->feed()->view()->setFocus();
        break;
    }
}

void MainWindow::login(bool forceVerify) {
    if (LoginDialog *dialog = openLoginDialog(forceVerify))
        dialog->startBrowserLogin();
}

void MainWindow::loginWithCode() {
    if (LoginDialog *dialog = openLoginDialog(false))
        dialog->startDeviceLogin();
}

LoginDialog *MainWindow::openLoginDialog(bool forceVerify) {
    if (!m_services || m_loginDialog)
        return nullptr;
    // The relay's scopes and those EventSub needs for a channel the user broadcasts or moderates.
    LoginDialog::Params params{m_ctx.endpoints.auth, m_services->config.clientId,
                               m_services->config.redirectUri,
                               app::withEventSubScopes(m_services->config.scopes), forceVerify};
    m_loginDialog = new LoginDialog(m_ctx.network, params, this);
    m_loginDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_loginDialog, &QDialog::finished, this, &MainWindow::loginDialogFinished);
    m_loginDialog->open();
    return m_loginDialog;
}

void MainWindow::loginDialogFinished(int result) {
    if (result != QDialog::Accepted || !m_services || !m_loginDialog)
        return;
    m_welcome->setState(WelcomePage::State::Connecting, tr("Checking your login…"));
    if (const auto tokens = m_loginDialog->tokens())
        m_services->auth.signIn(*tokens);
    else
        m_services->auth.signIn(m_loginDialog->token());
}

void MainWindow::onLoggedIn(const app::Account &account) {
    m_accountLabel->setText(tr("Logged in as %1").arg(account.login));
    for (QAction *a : std::as_const(m_loggedInActions))
        a->setEnabled(true);
    m_welcome->setNotice(m_ctx.tokens.limitation());
    m_welcome->setState(WelcomePage::State::Ready, readyMessage());
    const app::Settings::Streamer favorite = m_ctx.settings.favoriteStreamer();
    if (favorite.isEmpty()) {
        m_picker->setUser(account); // else when the user asks for the picker: the stream's calls go first
        m_picker->setLastWatched({});
        showPage(Page::Picker);
        return;
    }
    ChannelItem channel;
    channel.id = favorite.id;
    channel.login = favorite.login;
    channel.displayName = favorite.displayName;
    openStream(channel);
}

void MainWindow::onLoggedOut(const QString &reason) {
    m_accountLabel->clear();
    m_liveLabel->clear();
    for (QAction *a : std::as_const(m_loggedInActions))
        a->setEnabled(false);
    m_welcome->setNotice(reason);
    m_welcome->setState(WelcomePage::State::Ready, readyMessage());
    if (m_stream)
        m_stream->banner()->setFeaturesNeedingLogin({});
    showPage(Page::Welcome);
    updateRelayStatus();
    updateEventSubStatus();
    updateChatStatus();
}

void MainWindow::logout() {
    if (!m_services)
        return;
    m_services->auth.logout(); // revokes at Twitch, forgets the token
    // Local session data: the favorite and the event history (some of it only that account could see).
    m_ctx.settings.setFavoriteStreamer({});
    m_ctx.settings.sync();
    m_ctx.store.forgetEverything();
}

void MainWindow::openStream(const ChannelItem &channel) {
    if (!m_services || channel.id.isEmpty())
        return;
    m_ctx.settings.setFavoriteStreamer({channel.id, channel.login, channel.displayName});
    m_ctx.settings.sync();
    m_stream->open(channel);
    m_services->feed.open(m_services->auth.token(), channel.id, channel.login);
    setWindowTitle(tr("%1 — %2").arg(channel.displayName.isEmpty() ? channel.login : channel.displayName,
                                     QApplication::applicationDisplayName()));
    showPage(Page::Stream);
    updateRelayStatus();
    updateEventSubStatus();
    updateChatStatus();
}

void MainWindow::exportEvents() {
    if (m_export) { // one at a time
        if (m_export->dialog())
            m_export->dialog()->raise();
        return;
    }
    if (!m_services || !m_stream || m_services->feed.broadcasterId().isEmpty())
        return;
    const ChannelItem channel = m_stream->channel();
    m_export = new FeedExportFlow({m_ctx.store, m_services->feed.broadcasterId(), channel.login,
                                   channel.displayName.isEmpty() ? channel.login : channel.displayName,
                                   m_stream->feed()->filterKinds(), m_stream->feed()->filterNames(),
                                   m_chooseSaveFile},
                                  this);
    connect(m_export, &FeedExportFlow::finished, this,
            [this](FeedExportFlow::Outcome outcome, const QString &message) {
                m_export = nullptr; // done (it deletes itself): the next export may start
                if (!message.isEmpty())
                    statusBar()->showMessage(message, 15000);
                if (outcome == FeedExportFlow::Outcome::Failed) {
                    auto *box = new QMessageBox(QMessageBox::Warning, tr("Export events"), message,
                                                QMessageBox::Ok, this);
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->open();
                }
            });
    m_export->start();
}

void MainWindow::changeStreamer() {
    if (!m_services || m_services->auth.state() != app::AuthSession::State::LoggedIn)
        return;
    m_picker->setUser(m_services->auth.account()); // who is live changes: ask again
    m_picker->setLastWatched(m_ctx.settings.favoriteStreamer().id);
    showPage(Page::Picker);
}

void MainWindow::openSettings() {
    if (m_settingsDialog) {
        m_settingsDialog->raise();
        return;
    }
    const bool loggedIn = m_services && m_services->auth.state() == app::AuthSession::State::LoggedIn;
    m_settingsDialog = new SettingsDialog(m_ctx.settings, m_ctx.network, loggedIn, this);
    m_settingsDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_settingsDialog, &SettingsDialog::logoutRequested, this, &MainWindow::logout);
    connect(m_settingsDialog, &SettingsDialog::themeChosen, this,
            [](app::Settings::Theme t) { applyTheme(t); });
    connect(m_settingsDialog, &QDialog::accepted, this, [this] {
        m_dndAction->setChecked(m_ctx.settings.doNotDisturb());
        if (m_settingsDialog && m_settingsDialog->relayChanged())
            connectRelay(m_ctx.settings.relayUrl()); // another relay: another Twitch application, maybe
    });
    m_settingsDialog->open();
}

void MainWindow::updateRelayStatus() {
    if (!m_services) {
        m_relayLabel->setText(tr("Relay: not connected"));
        return;
    }
    if (!m_services->hasRelay()) {
        m_relayTicker.stop();
        m_relayLabel->setText(tr("Relay: none"));
        m_relayLabel->setToolTip(tr("Events come straight from Twitch. A relay (Settings) adds what happened "
                                    "while the app was closed."));
        return;
    }
    const app::RelayClient &relay = m_services->relay;
    m_relayLabel->setText(relay.state() == app::RelayClient::State::Stopped ? tr("Relay: idle")
                                                                            : relay.describe());
    m_relayLabel->setToolTip(relay.reason());
    if (relay.state() == app::RelayClient::State::Reconnecting)
        m_relayTicker.start();
    else
        m_relayTicker.stop();
}

void MainWindow::updateEventSubStatus() {
    if (!m_services) {
        m_eventSubLabel->clear();
        return;
    }
    const app::EventSubSession &eventSub = m_services->eventSub;
    m_eventSubLabel->setText(eventSub.describe());
    switch (eventSub.state()) {
    case app::EventSubSession::State::Stopped:
        m_eventSubLabel->setToolTip(tr("Twitch sends a channel's events to the app directly when you are its "
                                       "broadcaster or one of its moderators."));
        break;
    case app::EventSubSession::State::Live: {
        QStringList kinds;
        for (const QString &type : eventSub.enabledTypes())
            if (const QString name = app::describeSubscriptionType(type); !kinds.contains(name))
                kinds.append(name);
        m_eventSubLabel->setToolTip(
            tr("Straight from Twitch: %1.").arg(QLocale().createSeparatedList(kinds)));
        break;
    }
    default:
        m_eventSubLabel->setToolTip(eventSub.describe());
        break;
    }
}

void MainWindow::updateChatStatus() {
    if (!m_services) {
        m_chatLabel->clear();
        return;
    }
    const QString channel = m_stream ? m_stream->channel().login : QString();
    switch (m_services->chat.state()) {
    case app::IrcClient::State::Joined:
        m_chatLabel->setText(tr("Chat: #%1").arg(channel));
        break;
    case app::IrcClient::State::Connecting:
        m_chatLabel->setText(tr("Chat: connecting…"));
        break;
    case app::IrcClient::State::Reconnecting:
        m_chatLabel->setText(tr("Chat: reconnecting…"));
        break;
    case app::IrcClient::State::Disconnected:
        m_chatLabel->setText(tr("Chat: off"));
        break;
    }
}

LoginDialog *MainWindow::loginDialog() const {
    return m_loginDialog;
}
SettingsDialog *MainWindow::settingsDialog() const {
    return m_settingsDialog;
}

QString MainWindow::accountStatus() const {
    return m_accountLabel->text();
}
QString MainWindow::relayStatus() const {
    return m_relayLabel->text();
}
QString MainWindow::chatStatus() const {
    return m_chatLabel->text();
}
QString MainWindow::eventSubStatus() const {
    return m_eventSubLabel->text();
}
QString MainWindow::liveStatus() const {
    return m_liveLabel->text();
}

void MainWindow::closeEvent(QCloseEvent *event) {
    m_ctx.settings.setWindowGeometry(saveGeometry());
    if (m_stream)
        m_ctx.settings.setSplitterState(m_stream->splitterState());
    m_ctx.settings.sync();
    QMainWindow::closeEvent(event);
}

} // namespace streams::ui
