#include "logindialog.h"

#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineView>

namespace streams::ui {

// Hands every navigation of the main frame to the dialog before it happens.
class LoginPage : public QWebEnginePage {
public:
    LoginPage(QWebEngineProfile *profile, std::function<void(const QUrl &, bool *)> inspect, QObject *parent)
        : QWebEnginePage(profile, parent)
        , m_inspect(std::move(inspect)) {}

protected:
    bool acceptNavigationRequest(const QUrl &url, NavigationType, bool isMainFrame) override {
        if (!isMainFrame)
            return true;
        bool accept = true;
        m_inspect(url, &accept);
        return accept;
    }

private:
    std::function<void(const QUrl &, bool *)> m_inspect;
};

namespace {
enum Page { BrowserPage, ErrorPage, DevicePage };
}

LoginDialog::LoginDialog(QNetworkAccessManager &network, Params params, QWidget *parent)
    : QDialog(parent)
    , m_network(network)
    , m_params(std::move(params)) {
    setWindowTitle(tr("Log in with Twitch"));
    resize(520, 720);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_pages = new QStackedWidget(this);
    layout->addWidget(m_pages);

    // The browser: an off-the-record profile, so nothing of Twitch's session outlives the dialog.
    auto *browserPage = new QWidget(this);
    auto *bl = new QVBoxLayout(browserPage);
    bl->setContentsMargins(0, 0, 0, 8);
    bl->setSpacing(0);
    m_loading = new QProgressBar(browserPage);
    m_loading->setRange(0, 100);
    m_loading->setTextVisible(false);
    m_loading->setFixedHeight(3);
    m_loading->setAccessibleName(tr("Loading Twitch's login page"));
    bl->addWidget(m_loading);
    m_profile = new QWebEngineProfile(this);
    m_page = new LoginPage(
        m_profile, [this](const QUrl &url, bool *accept) { onNavigation(url, accept); }, this);
    m_browser = new QWebEngineView(browserPage);
    m_browser->setPage(m_page);
    m_browser->setAccessibleName(tr("Twitch login page"));
    bl->addWidget(m_browser, 1);
    auto *browserButtons = new QHBoxLayout;
    browserButtons->setContentsMargins(12, 8, 12, 0);
    auto *useCode = new QPushButton(tr("Log in with a &code instead"), browserPage);
    auto *cancel = new QPushButton(tr("Cancel"), browserPage);
    browserButtons->addWidget(useCode);
    browserButtons->addStretch(1);
    browserButtons->addWidget(cancel);
    bl->addLayout(browserButtons);
    m_pages->addWidget(browserPage);
    connect(useCode, &QPushButton::clicked, this, &LoginDialog::startDeviceLogin);
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_page, &QWebEnginePage::loadStarted, this, [this] { m_loading->setVisible(true); });
    connect(m_page, &QWebEnginePage::loadProgress, m_loading, &QProgressBar::setValue);
    connect(m_page, &QWebEnginePage::loadFinished, this, [this](bool ok) {
        m_loading->setVisible(false);
        if (!ok && m_pages->currentIndex() == BrowserPage && m_token.isEmpty() && result() != Accepted)
            showError(tr("Twitch's login page could not be loaded. Check your internet connection."), true);
    });

    // A failure, in one sentence, with the ways forward.
    auto *errorPage = new QWidget(this);
    auto *el = new QVBoxLayout(errorPage);
    el->setContentsMargins(32, 32, 32, 24);
    el->addStretch(1);
    m_error = new QLabel(errorPage);
    m_error->setWordWrap(true);
    m_error->setAlignment(Qt::AlignCenter);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    el->addWidget(m_error);
    auto *retry = new QPushButton(tr("&Try again"), errorPage);
    retry->setDefault(true);
    auto *errorUseCode = new QPushButton(tr("Log in with a &code instead"), errorPage);
    auto *errorCancel = new QPushButton(tr("Cancel"), errorPage);
    auto *eb = new QHBoxLayout;
    eb->addStretch(1);
    eb->addWidget(retry);
    eb->addWidget(errorUseCode);
    eb->addWidget(errorCancel);
    eb->addStretch(1);
    el->addLayout(eb);
    el->addStretch(2);
    m_pages->addWidget(errorPage);
    connect(retry, &QPushButton::clicked, this, [this] {
        if (m_retryBrowser)
            startBrowserLogin();
        else
            startDeviceLogin();
    });
    connect(errorUseCode, &QPushButton::clicked, this, &LoginDialog::startDeviceLogin);
    connect(errorCancel, &QPushButton::clicked, this, &QDialog::reject);

    // The device code: shown big, copyable, with the page to enter it on.
    auto *devicePage = new QWidget(this);
    auto *dl = new QVBoxLayout(devicePage);
    dl->setContentsMargins(32, 32, 32, 24);
    dl->addStretch(1);
    m_codeHelp = new QLabel(devicePage);
    m_codeHelp->setWordWrap(true);
    m_codeHelp->setAlignment(Qt::AlignCenter);
    m_codeHelp->setOpenExternalLinks(true);
    dl->addWidget(m_codeHelp);
    m_code = new QLabel(devicePage);
    QFont big = m_code->font();
    big.setPointSizeF(big.pointSizeF() * 2.4);
    big.setBold(true);
    big.setLetterSpacing(QFont::AbsoluteSpacing, 4);
    m_code->setFont(big);
    m_code->setAlignment(Qt::AlignCenter);
    m_code->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_code->setAccessibleName(tr("Your login code"));
    dl->addWidget(m_code);
    auto *db = new QHBoxLayout;
    auto *copy = new QPushButton(tr("Co&py code"), devicePage);
    auto *open = new QPushButton(tr("&Open the activation page"), devicePage);
    open->setDefault(true);
    db->addStretch(1);
    db->addWidget(copy);
    db->addWidget(open);
    db->addStretch(1);
    dl->addLayout(db);
    auto *waiting = new QProgressBar(devicePage);
    waiting->setRange(0, 0); // busy: Twitch tells us when the user approved
    waiting->setTextVisible(false);
    waiting->setAccessibleName(tr("Waiting for approval on Twitch"));
    dl->addWidget(waiting);
    m_codeExpiry = new QLabel(devicePage);
    m_codeExpiry->setAlignment(Qt::AlignCenter);
    dl->addWidget(m_codeExpiry);
    auto *deviceCancel = new QPushButton(tr("Cancel"), devicePage);
    auto *cb = new QHBoxLayout;
    cb->addStretch(1);
    cb->addWidget(deviceCancel);
    dl->addStretch(2);
    dl->addLayout(cb);
    m_pages->addWidget(devicePage);
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_code->text()); });
    connect(open, &QPushButton::clicked, this, [this] { QDesktopServices::openUrl(m_verificationUri); });
    connect(deviceCancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(this, &QDialog::rejected, this, [this] {
        if (m_device)
            m_device->cancel();
    });
}

LoginDialog::~LoginDialog() {
    // The page must go before its profile.
    m_browser->setPage(nullptr);
    delete m_page;
}

void LoginDialog::startBrowserLogin() {
    if (m_device)
        m_device->cancel();
    m_grant = std::make_unique<app::ImplicitGrant>(m_params.authBase, m_params.clientId, m_params.redirectUri,
                                                   m_params.scopes, m_params.forceVerify);
    m_pages->setCurrentIndex(BrowserPage);
    m_browser->setFocus();
    m_page->load(m_grant->authorizeUrl());
}

void LoginDialog::onNavigation(const QUrl &url, bool *accept) {
    if (!m_grant)
        return;
    const auto verdict = m_grant->inspect(url);
    switch (verdict.outcome) {
    case app::ImplicitGrant::Outcome::NotMine:
        return; // Twitch's own pages: let the browser go there
    case app::ImplicitGrant::Outcome::Success:
        *accept = false; // nothing listens on the redirect URI
        m_token = verdict.token;
        QMetaObject::invokeMethod(this, &QDialog::accept,
                                  Qt::QueuedConnection); // not inside the browser's call
        return;
    case app::ImplicitGrant::Outcome::Failure:
        *accept = false;
        showError(verdict.description, true);
        return;
    }
}

void LoginDialog::startDeviceLogin() {
    m_grant.reset();
    m_page->triggerAction(QWebEnginePage::Stop);
    m_device =
        std::make_unique<app::DeviceFlow>(m_network, m_params.authBase, m_params.clientId, m_params.scopes);
    m_code->clear();
    m_codeHelp->setText(tr("Asking Twitch for a code…"));
    m_codeExpiry->clear();
    m_pages->setCurrentIndex(DevicePage);
    connect(m_device.get(), &app::DeviceFlow::codeReady, this,
            [this](const QString &code, const QUrl &uri, int expiresIn) {
                m_verificationUri = uri;
                m_code->setText(code);
                m_codeHelp->setText(
                    tr("On any device, open <a href=\"%1\">%2</a> and enter this code:")
                        .arg(uri.toString().toHtmlEscaped(), (uri.host() + uri.path()).toHtmlEscaped()));
                m_codeExpiry->setText(
                    tr("Waiting for you to approve on Twitch. The code works for %n minutes.", nullptr,
                       qMax(1, expiresIn / 60)));
            });
    connect(m_device.get(), &app::DeviceFlow::succeeded, this, [this](const app::TokenPair &tokens) {
        m_tokens = tokens;
        accept();
    });
    connect(m_device.get(), &app::DeviceFlow::failed, this,
            [this](const QString &reason) { showError(reason, false); });
    m_device->start();
}

void LoginDialog::showError(const QString &sentence, bool retryBrowser) {
    m_retryBrowser = retryBrowser;
    m_error->setText(sentence);
    m_pages->setCurrentIndex(ErrorPage);
}

QString LoginDialog::errorText() const {
    return m_error->text();
}

bool LoginDialog::showingError() const {
    return m_pages->currentIndex() == ErrorPage;
}

bool LoginDialog::showingDeviceCode() const {
    return m_pages->currentIndex() == DevicePage && !m_code->text().isEmpty();
}

QString LoginDialog::deviceCode() const {
    return m_code->text();
}

} // namespace streams::ui
