#include "streampage.h"

#include "avatarcache.h"
#include "feed/feedmodel.h"
#include "feedpanel.h"
#include "playerview.h"
#include "sourcebanner.h"
#include "twitch/helixclient.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace streams::ui {

StreamPage::StreamPage(QNetworkAccessManager &network, app::HelixClient &helix, app::FeedModel &model,
                       AvatarCache &avatars, QUrl playerBase, QWidget *parent)
    : QWidget(parent)
    , m_helix(helix)
    , m_model(model)
    , m_avatars(avatars) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    auto *header = new QWidget(this);
    auto *hl = new QHBoxLayout(header);
    hl->setContentsMargins(12, 8, 12, 8);
    m_avatar = new QLabel(header);
    m_avatar->setFixedSize(40, 40);
    hl->addWidget(m_avatar);
    auto *names = new QVBoxLayout;
    names->setSpacing(0);
    auto *nameRow = new QHBoxLayout;
    nameRow->setSpacing(8); // a nested layout would inherit the 0 of `names`: "LumenWaveLIVE"
    m_name = new QLabel(header);
    QFont big = m_name->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    m_name->setFont(big);
    nameRow->addWidget(m_name);
    m_badge = new QLabel(tr("LIVE"), header);
    m_badge->setStyleSheet(QStringLiteral(
        "QLabel{background:#eb0400;color:white;font-weight:bold;border-radius:3px;padding:1px 6px}"));
    m_badge->setVisible(false);
    nameRow->addWidget(m_badge, 0, Qt::AlignVCenter);
    nameRow->addStretch(1);
    names->addLayout(nameRow);
    m_title = new QLabel(header);
    m_title->setTextFormat(Qt::PlainText);
    names->addWidget(m_title);
    hl->addLayout(names, 1);
    auto *change = new QPushButton(tr("C&hange streamer"), header);
    change->setToolTip(tr("Choose another streamer (Ctrl+K)"));
    connect(change, &QPushButton::clicked, this, &StreamPage::changeStreamer);
    hl->addWidget(change);
    layout->addWidget(header);
    m_banner = new SourceBanner(this);
    layout->addWidget(m_banner);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setChildrenCollapsible(false);
    m_player = new PlayerView(network, std::move(playerBase), m_splitter);
    m_feed = new FeedPanel(model, m_splitter);
    m_feed->setMinimumWidth(280);
    m_splitter->addWidget(m_player);
    m_splitter->addWidget(m_feed);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setSizes({640, 420}); // until the user's own split is restored
    layout->addWidget(m_splitter, 1);

    connect(&avatars, &AvatarCache::ready, this, [this](const QUrl &url) {
        if (url == m_channel.avatarUrl)
            m_avatar->setPixmap(m_avatars.avatar(url, 40, devicePixelRatioF()));
    });
    m_livePoll.setInterval(60 * 1000);
    connect(&m_livePoll, &QTimer::timeout, this, &StreamPage::refreshLiveState);
    // online/offline in the feed: ask Helix at once for the title and viewers.
    connect(&model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &, int first, int last) {
                for (int row = first; row <= last; ++row) {
                    const QString kind = m_model.index(row).data(app::FeedModel::KindRole).toString();
                    if (kind == u"online" || kind == u"offline") {
                        applyLive(kind == u"online", -1, m_channel.title, m_channel.category);
                        QTimer::singleShot(2000, this, &StreamPage::refreshLiveState);
                        break;
                    }
                }
            });
}

void StreamPage::open(const ChannelItem &channel) {
    ++m_generation;
    m_channel = channel;
    m_banner->clearNotices(); // about the last channel's sources
    m_name->setText(channel.displayName.isEmpty() ? channel.login : channel.displayName);
    m_avatar->setPixmap(m_avatars.avatar(channel.avatarUrl, 40, devicePixelRatioF()));
    m_feed->setStreamerName(m_name->text());
    m_feed->setFollowsAllowed(true);
    applyLive(channel.live, channel.viewers, channel.title, channel.category);
    refreshLiveState();
    m_livePoll.start();
    // The avatar, when the channel came without one (the favorite from the settings).
    if (!channel.avatarUrl.isValid()) {
        const int generation = m_generation;
        m_helix.users({channel.id}, {}, this, [this, generation](app::HelixResult<QList<app::HelixUser>> r) {
            if (generation != m_generation || !std::holds_alternative<QList<app::HelixUser>>(r))
                return;
            const auto users = std::get<QList<app::HelixUser>>(r);
            if (users.isEmpty())
                return;
            m_channel.avatarUrl = QUrl(users.first().profileImageUrl);
            m_avatar->setPixmap(m_avatars.avatar(m_channel.avatarUrl, 40, devicePixelRatioF()));
        });
    }
}

void StreamPage::refreshLiveState() {
    if (m_channel.id.isEmpty())
        return;
    const int generation = m_generation;
    m_helix.streams({m_channel.id}, this, [this, generation](app::HelixResult<QList<app::HelixStream>> r) {
        if (generation != m_generation || !std::holds_alternative<QList<app::HelixStream>>(r))
            return; // keep what we know; the next poll tries again
        const auto streams = std::get<QList<app::HelixStream>>(r);
        if (streams.isEmpty())
            applyLive(false, -1, m_channel.title, m_channel.category);
        else
            applyLive(true, streams.first().viewerCount, streams.first().title, streams.first().gameName);
    });
}

void StreamPage::applyLive(bool live, int viewers, const QString &title, const QString &category) {
    m_channel.live = live;
    m_channel.viewers = viewers;
    m_channel.title = title;
    m_channel.category = category;
    m_badge->setVisible(live);
    QString line = live ? title : tr("Offline");
    if (!category.isEmpty())
        line = category + QStringLiteral(" · ") + line;
    if (live && viewers >= 0)
        line = tr("%1 viewers").arg(QLocale().toString(viewers)) + QStringLiteral(" · ") + line;
    m_title->setText(line);
    m_player->showChannel(m_channel.login, m_name->text(), live);
    Q_EMIT liveChanged(live, viewers);
}

QByteArray StreamPage::splitterState() const {
    return m_splitter->saveState();
}

void StreamPage::restoreSplitterState(const QByteArray &state) {
    if (!state.isEmpty())
        m_splitter->restoreState(state);
}

} // namespace streams::ui
