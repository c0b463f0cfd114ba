#include "feed/feedcontroller.h"

#include "relayclient/relayclient.h"
#include "store/localstore.h"
#include "twitch/chatevents.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

namespace streams::app {

FeedController::FeedController(LocalStore &store, HelixClient &helix, RelayClient &relay, IrcClient &chat,
                               FeedModel &model, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_helix(helix)
    , m_relay(relay)
    , m_chat(chat)
    , m_model(model) {
    // The relay client stores its events itself (cursor after store); the model only needs the new ones.
    connect(&m_relay, &RelayClient::eventsStored, this, [this](const QList<FeedEvent> &events) {
        QList<FeedEvent> mine;
        for (const FeedEvent &e : events)
            if (e.broadcasterId == m_broadcasterId)
                mine.append(e);
        m_model.add(mine);
    });
    connect(&m_relay, &RelayClient::followsAvailability, this,
            [this](bool allowed, const QString &) { Q_EMIT followsAvailability(allowed); });
    // The relay's log was recreated: what it lost, Helix still knows (the latest followers).
    connect(&m_relay, &RelayClient::historyReset, this, [this](const QString &broadcasterId) {
        if (broadcasterId == m_broadcasterId)
            fetchFollowers();
    });
    connect(&m_chat, &IrcClient::chatEvent, this, [this](const ChatEvent &e) {
        if (e.channelId == m_broadcasterId)
            this->store({fromChat(e)});
    });
    // What is unread is kept with the events, so it still is after a restart.
    connect(&m_model, &FeedModel::markedUnread, this, [this](const QStringList &keys) {
        if (m_feed)
            m_store.markUnread(m_broadcasterId, keys);
    });
    connect(&m_model, &FeedModel::markedRead, this, [this](const QStringList &keys) {
        if (m_feed)
            m_store.markRead(keys);
    });
    connect(&m_model, &FeedModel::markedAllRead, this, [this] {
        if (m_feed)
            m_store.markAllRead(m_broadcasterId);
    });
}

FeedEvent FeedController::fromChat(const ChatEvent &e) {
    FeedEvent f;
    f.key = QStringLiteral("chat:") +
            (e.id.isEmpty() ? e.kind + e.at.toString(Qt::ISODateWithMs) + e.user.id : e.id);
    f.broadcasterId = e.channelId;
    f.kind = e.kind;
    f.userId = e.user.id;
    f.userLogin = e.user.login;
    f.userName = e.user.name;
    f.amount = e.amount;
    f.tier = e.tier;
    f.message = e.message;
    f.occurredAt = e.at;
    f.source = QStringLiteral("chat");
    return f;
}

void FeedController::store(const QList<FeedEvent> &events) {
    if (!m_feed)
        return; // closed
    m_store.write(events, std::nullopt, m_feed.get(), [this](const QList<FeedEvent> &added) {
        QList<FeedEvent> current; // only what was new, and only for the streamer still open
        for (const FeedEvent &e : added)
            if (e.broadcasterId == m_broadcasterId)
                current.append(e);
        m_model.add(current);
    });
}

void FeedController::open(const QString &token, const QString &broadcasterId,
                          const QString &broadcasterLogin) {
    m_broadcasterId = broadcasterId;
    if (!m_feed)
        m_feed = std::make_unique<QObject>();
    // At once, from the store: the 10 most recent follows and the latest of everything else, and which of
    // them are still unread.
    QList<FeedEvent> initial = m_store.recent(broadcasterId, 10, {QStringLiteral("follow")});
    initial += m_store.recent(broadcasterId, 200);
    m_model.setEvents(initial, m_store.unreadKeys(broadcasterId));

    m_helix.setToken(token);
    fetchFollowers();
    m_relay.start(token, broadcasterId);
    m_chat.join(broadcasterLogin);
}

void FeedController::close() {
    m_feed.reset();
    m_broadcasterId.clear(); // answers and events for it are dropped when they come
    m_relay.stop();
    m_chat.stop();
    m_model.setEvents({});
}

void FeedController::fetchFollowers() {
    if (!m_feed)
        return; // closed
    const QString broadcasterId = m_broadcasterId;
    auto storeFollowers = [this, broadcasterId](HelixResult<HelixFollowers> result) {
        if (broadcasterId != m_broadcasterId)
            return; // the user moved on
        const auto *followers = std::get_if<HelixFollowers>(&result);
        if (!followers)
            return; // the relay and the store still fill the feed
        if (!followers->allowed) {
            Q_EMIT followsAvailability(false);
            return;
        }
        QList<FeedEvent> events;
        for (const HelixFollower &f : followers->followers) {
            FeedEvent e;
            e.key = followKey(broadcasterId, f.userId, f.followedAt);
            e.broadcasterId = broadcasterId;
            e.kind = QStringLiteral("follow");
            e.userId = f.userId;
            e.userLogin = f.userLogin;
            e.userName = f.userName;
            e.occurredAt = parseTimestamp(f.followedAt);
            e.source = QStringLiteral("helix");
            events.append(e);
        }
        store(events);
    };
    m_helix.recentFollowers(broadcasterId, 10, m_feed.get(), std::move(storeFollowers));
}

} // namespace streams::app
