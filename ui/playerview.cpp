#include "playerview.h"

#include <QDesktopServices>
#include <QFile>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QStackedWidget>
#include <QUrlQuery>
#include <QVBoxLayout>
#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineView>

namespace streams::ui {

// Links clicked inside the player (Open in browser) go to the system browser, not into the app.
class PlayerPage : public QWebEnginePage {
public:
    using QWebEnginePage::QWebEnginePage;

protected:
    bool acceptNavigationRequest(const QUrl &url, NavigationType type, bool isMainFrame) override {
        if (isMainFrame && type == NavigationTypeLinkClicked) {
            QDesktopServices::openUrl(url);
            return false;
        }
        return true;
    }
    QWebEnginePage *createWindow(WebWindowType) override { return nullptr; }
};

namespace {
// Text inside a '…' JavaScript literal in a <script> element.
QString jsLiteral(const QString &text) {
    QString out;
    for (const QChar c : text) {
        if (c == u'\\' || c == u'\'' || c == u'"' || c == u'<' || c == u'>' || c < u' ')
            out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}
// Text that a script puts into innerHTML.
QString htmlInJs(const QString &text) {
    return jsLiteral(text.toHtmlEscaped());
}
} // namespace

PlayerView::PlayerView(QNetworkAccessManager &network, QUrl playerBase, QWidget *parent)
    : QWidget(parent)
    , m_network(network)
    , m_playerBase(std::move(playerBase)) {
    setMinimumSize(400, 300); // Twitch's embed needs at least 400×300
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    layout->addWidget(m_stack);
    m_profile = new QWebEngineProfile(this); // off the record: no cookies kept on disk
    m_page = new PlayerPage(m_profile, this);
    m_browser = new QWebEngineView(m_stack);
    m_browser->setPage(m_page);
    m_browser->setAccessibleName(tr("Stream player"));
    m_stack->addWidget(m_browser);

    auto *panel = new QWidget(m_stack);
    panel->setAutoFillBackground(true);
    auto *pl = new QVBoxLayout(panel);
    pl->addStretch(1);
    m_message = new QLabel(panel);
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    QFont f = m_message->font();
    f.setPointSizeF(f.pointSizeF() * 1.2);
    m_message->setFont(f);
    pl->addWidget(m_message);
    m_open = new QPushButton(tr("Open in &browser"), panel);
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(m_open);
    row->addStretch(1);
    pl->addLayout(row);
    pl->addStretch(1);
    m_stack->addWidget(panel);
    connect(m_open, &QPushButton::clicked, this, &PlayerView::openInBrowser);
}

PlayerView::~PlayerView() {
    m_browser->setPage(nullptr);
    delete m_page; // before its profile
}

QUrl PlayerView::embedUrl() const {
    QUrl url = m_playerBase;
    url.setPath(url.path() + QStringLiteral("/"));
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("channel"), m_login);
    q.addQueryItem(QStringLiteral("parent"), QStringLiteral("localhost")); // hostname only, no scheme
    url.setQuery(q);
    return url;
}

QUrl PlayerView::browserUrl() const {
    if (m_login.isEmpty())
        return {};
    // Twitch's own channel page; a simulator's player page when TWITCH_PLAYER_URL points elsewhere.
    if (m_playerBase.host() == u"player.twitch.tv")
        return QUrl(QStringLiteral("https://www.twitch.tv/") + m_login);
    return embedUrl();
}

void PlayerView::openInBrowser() {
    if (browserUrl().isValid())
        QDesktopServices::openUrl(browserUrl());
}

QString PlayerView::message() const {
    return m_mode == Mode::Player ? QString() : m_message->text();
}

void PlayerView::showChannel(const QString &login, const QString &displayName, bool live) {
    const bool same = login == m_login && live == m_live && m_mode != Mode::Empty;
    m_login = login;
    m_displayName = displayName;
    m_live = live;
    if (same)
        return;
    if (!live) {
        showMessage(Mode::Offline, tr("%1 is offline right now. Their events still arrive in the feed.")
                                       .arg(displayName.isEmpty() ? login : displayName));
        return;
    }
    loadPlayer();
}

void PlayerView::reload() {
    if (m_login.isEmpty())
        return;
    m_mode = Mode::Empty;
    showChannel(m_login, m_displayName, m_live);
}

void PlayerView::loadPlayer() {
    // First make sure the player's host answers at all: a clear sentence beats a blank frame.
    const int generation = ++m_generation;
    QNetworkRequest probe(m_playerBase);
    probe.setTransferTimeout(10000);
    QNetworkReply *reply = m_network.head(probe);
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation != m_generation)
            return;
        if (reply->error() != QNetworkReply::NoError &&
            reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 0) {
            showMessage(Mode::Unreachable,
                        tr("The player could not be loaded (%1).").arg(reply->errorString()));
            return;
        }
        QFile file(QStringLiteral(":/player/player.html"));
        file.open(QIODevice::ReadOnly);
        QString html = QString::fromUtf8(file.readAll());
        QUrl src = embedUrl();
        QUrlQuery q(src);
        q.addQueryItem(QStringLiteral("muted"), QStringLiteral("false"));
        src.setQuery(q);
        html.replace(QStringLiteral("{{PLAYER_SRC}}"), jsLiteral(src.toString(QUrl::FullyEncoded)))
            .replace(QStringLiteral("{{OPEN_URL}}"), htmlInJs(browserUrl().toString(QUrl::FullyEncoded)))
            .replace(QStringLiteral("{{OPEN_LABEL}}"), htmlInJs(tr("Open in browser")))
            .replace(QStringLiteral("{{TITLE}}"), tr("%1's stream").arg(m_displayName).toHtmlEscaped())
            .replace(QStringLiteral("{{FAILED_TEXT}}"), htmlInJs(tr("The player did not load.")))
            .replace(
                QStringLiteral("{{NO_H264_TEXT}}"),
                htmlInJs(tr("This build of Qt WebEngine cannot play H.264 video, which Twitch streams use.")))
            .replace(QStringLiteral("{{TIMEOUT_MS}}"), QStringLiteral("20000"));
        m_mode = Mode::Player;
        m_stack->setCurrentWidget(m_browser);
        m_page->setHtml(html, QUrl(QStringLiteral("https://localhost/")));
    });
}

void PlayerView::showMessage(Mode mode, const QString &text) {
    ++m_generation;
    m_mode = mode;
    m_message->setText(text);
    m_open->setVisible(browserUrl().isValid());
    m_page->setHtml(QString(), QUrl(QStringLiteral("https://localhost/"))); // stop any sound
    m_stack->setCurrentIndex(1);
}

void PlayerView::queryPlayerState(std::function<void(QString)> done) const {
    if (m_mode != Mode::Player) {
        done({});
        return;
    }
    m_page->runJavaScript(QStringLiteral("typeof playerState === 'function' ? playerState() : ''"),
                          [done](const QVariant &v) { done(v.toString()); });
}

} // namespace streams::ui
