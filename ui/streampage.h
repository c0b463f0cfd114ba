#pragma once

// The stream page: the streamer's header (avatar, name, live badge, title) with "Change streamer", a banner
// about the feed's sources when there is something to say, and a splitter with the player on the left and
// the live feed on the right. Live state and viewers come from
// Helix (every minute, and at once when the feed says the stream went online or offline).

#include "channellist.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QNetworkAccessManager;
class QPushButton;
class QSplitter;

namespace streams::app {
class FeedModel;
class HelixClient;
} // namespace streams::app

namespace streams::ui {

class AvatarCache;
class FeedPanel;
class PlayerView;
class SourceBanner;

class StreamPage : public QWidget {
    Q_OBJECT
public:
    StreamPage(QNetworkAccessManager &network, app::HelixClient &helix, app::FeedModel &model,
               AvatarCache &avatars, QUrl playerBase, QWidget *parent = nullptr);

    void open(const ChannelItem &channel);
    ChannelItem channel() const { return m_channel; }
    QByteArray splitterState() const;
    void restoreSplitterState(const QByteArray &state);
    void refreshLiveState();

    FeedPanel *feed() const { return m_feed; }
    PlayerView *player() const { return m_player; }
    SourceBanner *banner() const { return m_banner; }

Q_SIGNALS:
    void changeStreamer();
    // Live or not, with viewers when live (-1 unknown), for the status bar.
    void liveChanged(bool live, int viewers);

private:
    void applyLive(bool live, int viewers, const QString &title, const QString &category);

    app::HelixClient &m_helix;
    app::FeedModel &m_model;
    AvatarCache &m_avatars;
    ChannelItem m_channel;
    QLabel *m_avatar;
    QLabel *m_name;
    QLabel *m_badge;
    QLabel *m_title;
    SourceBanner *m_banner;
    QSplitter *m_splitter;
    PlayerView *m_player;
    FeedPanel *m_feed;
    QTimer m_livePoll;
    int m_generation = 0;
};

} // namespace streams::ui
