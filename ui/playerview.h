#pragma once

// The stream: a local HTML wrapper loaded under https://localhost/ that embeds TWITCH_PLAYER_URL's player
// with parent=localhost. When the channel is offline, the player cannot be reached, or this Qt build cannot
// decode H.264, the page says which and offers "Open in browser".

#include <QUrl>
#include <QWidget>

class QLabel;
class QNetworkAccessManager;
class QPushButton;
class QStackedWidget;
class QWebEngineProfile;
class QWebEngineView;

namespace streams::ui {

class PlayerPage;

class PlayerView : public QWidget {
    Q_OBJECT
public:
    PlayerView(QNetworkAccessManager &network, QUrl playerBase, QWidget *parent = nullptr);
    ~PlayerView() override;

    // Shows `login`'s stream, or the offline panel.
    void showChannel(const QString &login, const QString &displayName, bool live);
    void reload();
    void openInBrowser();
    QUrl browserUrl() const; // where "Open in browser" goes

    enum class Mode { Empty, Player, Offline, Unreachable };
    Mode mode() const { return m_mode; }
    QString message() const;
    // The wrapper's own state: loading, playing, no-h264, failed (asynchronous; for tests and diagnostics).
    void queryPlayerState(std::function<void(QString)> done) const;
    QWebEngineView *browser() const { return m_browser; }

private:
    void loadPlayer();
    QUrl embedUrl() const; // TWITCH_PLAYER_URL/?channel=…&parent=localhost
    void showMessage(Mode mode, const QString &text);

    QNetworkAccessManager &m_network;
    QUrl m_playerBase;
    QString m_login;
    QString m_displayName;
    bool m_live = false;
    Mode m_mode = Mode::Empty;
    int m_generation = 0;
    QStackedWidget *m_stack;
    QWebEngineProfile *m_profile;
    PlayerPage *m_page;
    QWebEngineView *m_browser;
    QLabel *m_message;
    QPushButton *m_open;
};

} // namespace streams::ui
