#pragma once

// Keeps the EventSub webhook subscriptions the relay's clients need: creates them (reusing on 409),
// reconciles with Twitch's list at start-up, records verification and revocation, and deletes the ones
// nobody has wanted for a week.

#include "eventsub/twitchapi.h"
#include "protocol/messages.h"
#include "storage/database.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <optional>

namespace streams::relay {

struct EnsureResult {
    QStringList kinds;                      // what this user will receive
    std::optional<protocol::Error> warning; // e.g. forbidden follows; kinds still flow
    std::optional<protocol::Error> error;   // nothing could be subscribed
};

class SubscriptionManager : public QObject {
    Q_OBJECT
public:
    using Writer = std::function<void(QString sql, QVariantList bindings)>;
    // Loads what was recorded in the database; later changes go through `write` (the storage thread).
    SubscriptionManager(TwitchApi &api, QString callbackUrl, QByteArray secret, StorageTarget database,
                        Writer write, QObject *parent = nullptr);
    ~SubscriptionManager() override;

    // Lists Twitch's subscriptions and adopts the ones pointing at this relay (call once the app token
    // exists).
    void reconcile();
    bool reconciled() const { return m_reconciled; }

    // Makes sure B's online/offline and (B, moderator = U) follow subscriptions exist.
    void ensure(const QString &broadcasterId, const QString &userId, std::function<void(EnsureResult)> done);
    // A client stopped wanting (B, U); the subscription stays until unwanted for `unusedDays`.
    void release(const QString &broadcasterId, const QString &userId);

    void markVerified(const QString &subscriptionId);
    void markRevoked(const QString &subscriptionId, const QString &status);

    // Subscriptions nobody has wanted for this long are deleted (default 7 days), checked periodically.
    void setUnusedAfter(qint64 seconds);
    void deleteUnused();
    // With several relays one owns the subscriptions (coordinator.h); the others never delete any. Taking
    // ownership reloads what the previous owner recorded.
    void setOwner(bool owner);
    bool owner() const { return m_owner; }

Q_SIGNALS:
    // moderatorId is empty for online/offline subscriptions.
    void revoked(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                 const QString &reason);

private:
    struct Known {
        EventSubSubscription sub;
        QString broadcasterId;
        QString moderatorId;
        qint64 lastWantedAt = 0;
        qint64 persistedWantedAt = 0; // lastWantedAt as last written to the database
    };
    using Callback = std::function<void(std::optional<protocol::Error>)>;

    void load(); // the subscriptions recorded in the database
    void ensureOne(const QString &type, const QString &version, const QJsonObject &condition, Callback done);
    void create(const QString &key, const QString &type, const QString &version, const QJsonObject &condition,
                int attempt);
    void resolveConflict(const QString &key, const QString &type, const QString &version,
                         const QJsonObject &condition, int attempt);
    void finish(const QString &key, std::optional<protocol::Error> error);
    void remember(const EventSubSubscription &sub);
    void persist(Known &known);
    void touch(Known &known); // still wanted: now, written at most once a minute
    void forget(const QString &key);
    static QString keyFor(const QString &type, const QJsonObject &condition);
    std::optional<protocol::Error> errorFor(const QString &type, const HttpOutcome &out) const;

    TwitchApi &m_api;
    QString m_callback;
    QByteArray m_secret;
    Writer m_write;
    StorageTarget m_database;
    bool m_owner = true;
    bool m_reconciled = false;
    QHash<QString, Known> m_known;              // key -> subscription
    QHash<QString, QString> m_keyById;          // Twitch id -> key
    QHash<QString, QList<Callback>> m_inflight; // key -> waiting callers
    QHash<QString, int> m_activeUsers;          // key -> clients wanting it now
    struct Refusal {
        protocol::Error error;
        QElapsedTimer age;
    };
    // key -> Twitch's 403 for it, remembered for 10 minutes: 10,000 fans of one channel ask once, not
    // 10,000 times (the map holds refused follow subscriptions only).
    QHash<QString, Refusal> m_refused;
    static constexpr qint64 kRefusalMemoryMs = 10 * 60 * 1000;
    // Twitch id -> the status of a revocation that came before the subscription was known here: Twitch sends
    // the challenge right after its 202, so the subscription can be enabled, and revoked, before the 202 is
    // read. Applied when the subscription is remembered; forgotten after a minute.
    struct EarlyRevocation {
        QString status;
        QElapsedTimer age;
    };
    QHash<QString, EarlyRevocation> m_revokedEarly;
    static constexpr qint64 kEarlyRevocationMs = 60 * 1000;
    QTimer m_unusedTimer;
    qint64 m_unusedAfterSeconds = 7 * 86400;
};

} // namespace streams::relay
