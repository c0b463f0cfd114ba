#pragma once

// Opens a streamer's feed: the most recent events from the local store at once, then Helix's latest
// followers, the relay's events (resumed from the stored cursor), EventSub's (when the user is the
// channel's broadcaster or a moderator) and chat events, each stored once and merged into the model as
// they arrive. What the model marks unread or read is kept in the store.
//
// One event, one row: a follow has the same key from the relay, Helix and EventSub; a kind EventSub
// delivers on the live session (cheers, subs, gifts, raids for the broadcaster) is not also taken from
// chat, and chat takes it back when that subscription is revoked or the session is down.

#include "feed/feedmodel.h"

#include <QObject>

#include <memory>

namespace streams::app {

class EventSubSession;
class HelixClient;
class IrcClient;
class LocalStore;
class RelayClient;
struct Account;
struct ChatEvent;

class FeedController : public QObject {
    Q_OBJECT
public:
    FeedController(LocalStore &store, HelixClient &helix, RelayClient &relay, IrcClient &chat,
                   FeedModel &model, QObject *parent = nullptr);
    // With Twitch's EventSub WebSocket as a fourth source (nullptr: none).
    FeedController(LocalStore &store, HelixClient &helix, RelayClient &relay, IrcClient &chat,
                   EventSubSession *eventSub, FeedModel &model, QObject *parent = nullptr);

    // Who is logged in, and what they granted: decides whether EventSub runs and which features need a
    // new login. Without it, open() asks Helix who the token's user is and tries every subscription.
    void setAccount(const streams::app::Account &account);
    void open(const QString &token, const QString &broadcasterId, const QString &broadcasterLogin);
    // Logging out: the relay, EventSub and chat stop, the model empties, and nothing still on its way for
    // this feed (Helix's answers, the store's results, events) reaches the store or the model any more.
    void close();
    QString broadcasterId() const { return m_broadcasterId; }

    // Scopes the open channel's EventSub features need and the login lacks (or Twitch said are missing),
    // and those features for people ("cheers", "subscriptions", …): the UI offers to log in again.
    QStringList missingScopes() const { return m_missingScopes; }
    QStringList featuresNeedingLogin() const { return m_featuresNeedingLogin; }

    static FeedEvent fromChat(const ChatEvent &event);

Q_SIGNALS:
    // Follows are shown only to the broadcaster and moderators: the UI explains an empty follow list.
    void followsAvailability(bool allowed);
    void missingScopesChanged();
    // A sentence for the feed about its sources ("Twitch stopped sending cheers: authorization_revoked").
    void notice(const QString &sentence);

private:
    void store(const QList<FeedEvent> &events);
    void fetchFollowers(); // Helix's 10 most recent, for the open streamer
    void startEventSub(const QString &token, const QString &userId, bool isModerator);
    void needLogin(const QString &scope, const QString &subscriptionType);
    bool coveredByEventSub(const QString &kind) const;

    LocalStore &m_store;
    HelixClient &m_helix;
    RelayClient &m_relay;
    IrcClient &m_chat;
    EventSubSession *m_eventSub = nullptr;
    FeedModel &m_model;
    QString m_broadcasterId;
    QString m_userId;
    QStringList m_scopes;
    bool m_scopesKnown = false;
    QStringList m_missingScopes;
    QStringList m_featuresNeedingLogin;
    std::unique_ptr<QObject> m_feed; // context of the open feed's callbacks; gone at close()
};

} // namespace streams::app
