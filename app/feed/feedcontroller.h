#pragma once

// Opens a streamer's feed: the most recent events from the local store at once, then Helix's latest
// followers, the relay's events (resumed from the stored cursor) and chat events, each stored once and
// merged into the model as they arrive. What the model marks unread or read is kept in the store.

#include "feed/feedmodel.h"

#include <QObject>

#include <memory>

namespace streams::app {

class HelixClient;
class IrcClient;
class LocalStore;
class RelayClient;
struct ChatEvent;

class FeedController : public QObject {
    Q_OBJECT
public:
    FeedController(LocalStore &store, HelixClient &helix, RelayClient &relay, IrcClient &chat,
                   FeedModel &model, QObject *parent = nullptr);

    void open(const QString &token, const QString &broadcasterId, const QString &broadcasterLogin);
    // Logging out: the relay and chat stop, the model empties, and nothing still on its way for this feed
    // (Helix's answers, the store's results, events) reaches the store or the model any more.
    void close();
    QString broadcasterId() const { return m_broadcasterId; }

    static FeedEvent fromChat(const ChatEvent &event);

Q_SIGNALS:
    // Follows are shown only to the broadcaster and moderators: the UI explains an empty follow list.
    void followsAvailability(bool allowed);

private:
    void store(const QList<FeedEvent> &events);
    void fetchFollowers(); // Helix's 10 most recent, for the open streamer

    LocalStore &m_store;
    HelixClient &m_helix;
    RelayClient &m_relay;
    IrcClient &m_chat;
    FeedModel &m_model;
    QString m_broadcasterId;
    std::unique_ptr<QObject> m_feed; // context of the open feed's callbacks; gone at close()
};

} // namespace streams::app
