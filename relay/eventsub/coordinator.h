#pragma once

// With several relays on one PostgreSQL: exactly one relay, the holder of an advisory lock, talks to
// Twitch about EventSub subscriptions (creates, reconciles, deletes). The others ask it through the
// database: a row in `wanted`, NOTIFY streams_wanted; the owner answers in the row and NOTIFY
// streams_wanted_done. If the owner dies its connection goes and with it the lock: another relay takes it
// within seconds. Verifications and revocations reach whichever relay Twitch calls (behind a balancer):
// they are passed on with NOTIFY, so the owner records them and every relay tells its own clients.
// Lives on the control thread (Qt SQL's QPSQL connection and its notifications need its event loop).

#include "eventsub/subscriptionmanager.h"
#include "storage/database.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QSqlDriver>
#include <QTimer>

#include <functional>

namespace streams::relay {

class SubscriptionCoordinator : public QObject {
    Q_OBJECT
public:
    SubscriptionCoordinator(StorageTarget database, SubscriptionManager &subscriptions,
                            QObject *parent = nullptr);
    ~SubscriptionCoordinator() override;

    // Connects and tries to become the owner at once; false with *error when the database cannot be used.
    bool start(QString *error);
    bool isOwner() const { return m_owner; }
    bool connected() const { return m_connected; }

    // Gatekeeper's calls, whichever relay holds the client.
    void ensure(const QString &broadcasterId, const QString &userId, std::function<void(EnsureResult)> done);
    void release(const QString &broadcasterId, const QString &userId);
    // A webhook of Twitch's about a subscription reached this relay.
    void verified(const QString &subscriptionId);
    void revokedByTwitch(const QString &subscriptionId, const QString &status);

Q_SIGNALS:
    void ownershipChanged(bool owner);
    // A subscription was revoked (this relay's clients are told): moderatorId empty for online/offline.
    void revoked(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                 const QString &reason);

private:
    void tick(); // the lock, the connection, unanswered requests (also when notifications are lost)
    bool reconnect();
    void notified(const QString &channel, QSqlDriver::NotificationSource source, const QVariant &payload);
    void serveRequests();  // owner: answer what others asked
    void collectAnswers(); // requester: read answers to this relay's requests
    // The subscription's row may not be committed yet (its owner writes it once Twitch's 202 is read,
    // which can come after the revocation): looked up again every 250 ms, for up to 10 s.
    void applyRevocation(const QString &subscriptionId, const QString &status, int attempt = 0);
    bool exec(const QString &sql, const QVariantList &values = {});

    StorageTarget m_database;
    SubscriptionManager &m_subscriptions;
    QString m_connection;
    bool m_connected = false;
    bool m_owner = false;
    QTimer m_timer;
    struct Waiting {
        std::function<void(EnsureResult)> done;
        qint64 askedAt = 0;
    };
    QHash<qint64, Waiting> m_waiting; // this relay's requests: row id → caller
    QSet<qint64> m_serving;           // owner: requests being worked on
};

} // namespace streams::relay
