#include "feed/feedcontroller.h"

#include "relayclient/relayclient.h"
#include "store/localstore.h"
#include "twitch/authsession.h"
#include "twitch/chatevents.h"
#include "twitch/eventsubsession.h"
#include "twitch/helixclient.h"
#include "twitch/ircclient.h"

namespace streams::app {

FeedController::FeedController(LocalStore &store, HelixClient &helix, RelayClient &relay, IrcClient &chat,
                               FeedModel &model, QObject *parent)
    : FeedController(store, helix, relay, chat, nullptr, model, parent) {}

FeedController::FeedController(LocalStore &store, HelixClient &helix, RelayClient &relay, IrcClient &chat,
                               EventSubSession *eventSub, FeedModel &model, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_helix(helix)
    , m_relay(relay)
    , m_chat(chat)
    , m_eventSub(eventSub)
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
        // EventSub's copy of it is the one shown (it arrives too, or arrived already).
        if (e.channelId == m_broadcasterId && !coveredByEventSub(e.kind))
            this->store({fromChat(e)});
    });
    if (m_eventSub) {
        connect(m_eventSub, &EventSubSession::event, this, [this](const FeedEvent &e) {
            if (e.broadcasterId != m_broadcasterId || m_eventSub->broadcasterId() != m_broadcasterId)
                return;
            // The relay's live changes carry its webhook's message id as their key, which EventSub's
            // cannot share: while the relay is connected its copy is the one kept.
            if ((e.kind == u"online" || e.kind == u"offline") &&
                m_relay.state() == RelayClient::State::Connected)
                return;
            this->store({e});
        });
        connect(m_eventSub, &EventSubSession::revoked, this,
                [this](const QString &type, const QString &status) {
                    if (m_eventSub->broadcasterId() != m_broadcasterId)
                        return;
                    Q_EMIT notice(tr("Twitch stopped sending this channel's %1 to the app (%2).")
                                      .arg(describeSubscriptionType(type), status));
                });
        connect(m_eventSub, &EventSubSession::subscriptionFailed, this,
                [this](const QString &type, int status, const QString &message) {
                    if (m_eventSub->broadcasterId() != m_broadcasterId)
                        return;
                    if (status == 403 && !eventSubScopeOf(type).isEmpty()) // the grant is missing
                        needLogin(eventSubScopeOf(type), type);
                    else
                        Q_EMIT notice(tr("Twitch refused to send this channel's %1 to the app: %2")
                                          .arg(describeSubscriptionType(type), message));
                });
    }
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

    if (!m_eventSub)
        return;
    m_eventSub->stop();
    if (!m_missingScopes.isEmpty() || !m_featuresNeedingLogin.isEmpty()) {
        m_missingScopes.clear();
        m_featuresNeedingLogin.clear();
        Q_EMIT missingScopesChanged();
    }
    // The broadcaster is the token's user; a moderator is one Twitch lists among the channel's.
    auto decide = [this, token, broadcasterId](const QString &userId) {
        if (userId == broadcasterId) {
            startEventSub(token, userId, false);
            return;
        }
        if (m_scopesKnown && !m_scopes.contains(QLatin1String("user:read:moderated_channels"))) {
            startEventSub(token, userId, false); // cannot tell: chat and the relay serve
            return;
        }
        m_helix.moderatedChannels(
            userId, m_feed.get(),
            [this, token, broadcasterId, userId](HelixResult<QList<HelixModeratedChannel>> result) {
                if (broadcasterId != m_broadcasterId)
                    return; // the user moved on
                bool isModerator = false;
                if (const auto *channels = std::get_if<QList<HelixModeratedChannel>>(&result))
                    for (const HelixModeratedChannel &c : *channels)
                        isModerator = isModerator || c.broadcasterId == broadcasterId;
                startEventSub(token, userId, isModerator); // a viewer: nothing to receive, no socket
            });
    };
    if (!m_userId.isEmpty()) {
        decide(m_userId);
        return;
    }
    m_helix.self(m_feed.get(), [this, broadcasterId, decide](HelixResult<QList<HelixUser>> result) {
        const auto *users = std::get_if<QList<HelixUser>>(&result);
        if (broadcasterId != m_broadcasterId || !users || users->isEmpty())
            return;
        decide(users->first().id);
    });
}

void FeedController::setAccount(const Account &account) {
    m_userId = account.userId;
    m_scopes = account.scopes;
    m_scopesKnown = true;
}

void FeedController::startEventSub(const QString &token, const QString &userId, bool isModerator) {
    QList<EventSubSpec> granted;
    for (const EventSubSpec &spec :
         eventSubSpecs(m_broadcasterId, userId, userId == m_broadcasterId, isModerator)) {
        if (!spec.scope.isEmpty() && m_scopesKnown && !m_scopes.contains(spec.scope))
            needLogin(spec.scope, spec.type);
        else
            granted.append(spec);
    }
    m_eventSub->start(token, m_broadcasterId, granted);
}

void FeedController::needLogin(const QString &scope, const QString &subscriptionType) {
    const QString feature = describeSubscriptionType(subscriptionType);
    if (m_missingScopes.contains(scope) && m_featuresNeedingLogin.contains(feature))
        return;
    if (!m_missingScopes.contains(scope))
        m_missingScopes.append(scope);
    if (!m_featuresNeedingLogin.contains(feature))
        m_featuresNeedingLogin.append(feature);
    Q_EMIT missingScopesChanged();
}

bool FeedController::coveredByEventSub(const QString &kind) const {
    return m_eventSub && !m_broadcasterId.isEmpty() && m_eventSub->broadcasterId() == m_broadcasterId &&
           m_eventSub->coveredKinds().contains(kind);
}

void FeedController::close() {
    m_feed.reset();
    m_broadcasterId.clear(); // answers and events for it are dropped when they come
    m_relay.stop();
    m_chat.stop();
    if (m_eventSub)
        m_eventSub->stop();
    m_userId.clear(); // the next login says who it is
    m_scopes.clear();
    m_scopesKnown = false;
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
