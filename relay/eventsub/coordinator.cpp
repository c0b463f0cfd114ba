#include "eventsub/coordinator.h"

#include "protocol/codec.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QPointer>
#include <QSqlError>
#include <QSqlQuery>

Q_LOGGING_CATEGORY(lcOwner, "streams.relay.subscriptions.owner")

namespace streams::relay {
namespace {

constexpr qint64 kOwnerLock = 7262010313;
constexpr qint64 kAnswerWithinSeconds = 30;
const char *const kWanted = "streams_wanted";
const char *const kWantedDone = "streams_wanted_done";
const char *const kVerified = "streams_verified";
const char *const kRevoked = "streams_revoked";

QVariant textOrNull(const QString &text) {
    return text.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(text);
}

} // namespace

SubscriptionCoordinator::SubscriptionCoordinator(StorageTarget database, SubscriptionManager &subscriptions,
                                                 QObject *parent)
    : QObject(parent)
    , m_database(std::move(database))
    , m_subscriptions(subscriptions)
    , m_connection(QStringLiteral("subscription-coordinator")) {
    m_subscriptions.setOwner(false);
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &SubscriptionCoordinator::tick);
}

SubscriptionCoordinator::~SubscriptionCoordinator() {
    for (const Waiting &w : std::as_const(m_waiting))
        w.done({{},
                {},
                protocol::Error{protocol::ErrorCode::Unavailable, QStringLiteral("relay is shutting down")}});
    closeDatabase(m_connection);
}

bool SubscriptionCoordinator::start(QString *error) {
    if (!reconnect()) {
        *error =
            QStringLiteral("subscription coordination: cannot use database %1").arg(m_database.describe());
        return false;
    }
    tick();
    m_timer.start();
    return true;
}

bool SubscriptionCoordinator::exec(const QString &sql, const QVariantList &values) {
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(sql);
    for (const QVariant &v : values)
        q.addBindValue(v);
    if (q.exec())
        return true;
    qCWarning(lcOwner).noquote() << "database:" << q.lastError().text().simplified();
    m_connected = false;
    return false;
}

bool SubscriptionCoordinator::reconnect() {
    if (m_owner) { // the lock belonged to the connection that went
        m_owner = false;
        m_subscriptions.setOwner(false);
        qCWarning(lcOwner) << "lost the database connection: no longer the subscriptions' owner";
        Q_EMIT ownershipChanged(false);
    }
    closeDatabase(m_connection);
    QString error;
    auto db = openDatabase(m_database, m_connection, false, &error);
    if (!db) {
        qCWarning(lcOwner).noquote() << error;
        return false;
    }
    QSqlDriver *driver = db->driver();
    for (const char *channel : {kWanted, kWantedDone, kVerified, kRevoked})
        driver->subscribeToNotification(QLatin1String(channel));
    connect(driver, &QSqlDriver::notification, this, &SubscriptionCoordinator::notified,
            Qt::UniqueConnection);
    m_connected = true;
    return true;
}

void SubscriptionCoordinator::tick() {
    if (!m_connected && !reconnect())
        return;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!m_owner) {
        if (!q.exec(QStringLiteral("SELECT pg_try_advisory_lock(%1)").arg(kOwnerLock)) || !q.next()) {
            m_connected = false;
            return;
        }
        if (q.value(0).toBool()) {
            m_owner = true;
            m_subscriptions.setOwner(true);
            qCInfo(lcOwner) << "this relay now owns the EventSub subscriptions";
            Q_EMIT ownershipChanged(true);
        }
    } else if (!q.exec(QStringLiteral("SELECT 1"))) {
        m_connected = false; // the next tick reconnects and gives ownership up
        return;
    }
    if (m_owner) {
        serveRequests();
        exec(QStringLiteral("DELETE FROM wanted WHERE requested_at < ?"),
             {QDateTime::currentSecsSinceEpoch() - 600});
    }
    collectAnswers();
}

void SubscriptionCoordinator::notified(const QString &channel, QSqlDriver::NotificationSource,
                                       const QVariant &payload) {
    if (channel == QLatin1String(kWanted)) {
        if (m_owner)
            serveRequests();
    } else if (channel == QLatin1String(kWantedDone)) {
        if (m_waiting.contains(payload.toString().toLongLong()))
            collectAnswers();
    } else if (channel == QLatin1String(kVerified)) {
        if (m_owner)
            m_subscriptions.markVerified(payload.toString());
    } else if (channel == QLatin1String(kRevoked)) {
        const QString text = payload.toString();
        const qsizetype space = text.indexOf(u' ');
        applyRevocation(text.left(space), space < 0 ? QString() : text.mid(space + 1));
    }
}

void SubscriptionCoordinator::ensure(const QString &broadcasterId, const QString &userId,
                                     std::function<void(EnsureResult)> done) {
    if (m_owner) {
        m_subscriptions.ensure(broadcasterId, userId, std::move(done));
        return;
    }
    // The request's row id, or nullopt.
    auto ask = [&]() -> std::optional<qint64> {
        if (!m_connected)
            return std::nullopt;
        QSqlQuery q(QSqlDatabase::database(m_connection, false));
        q.prepare(QStringLiteral(
            "INSERT INTO wanted(broadcaster_id, user_id, requested_at) VALUES(?, ?, ?) RETURNING id"));
        q.addBindValue(broadcasterId);
        q.addBindValue(userId);
        q.addBindValue(QDateTime::currentSecsSinceEpoch());
        if (!q.exec() || !q.next())
            return std::nullopt;
        return q.value(0).toLongLong();
    };
    std::optional<qint64> id = ask();
    if (!id && reconnect()) // the server restarted since the last query: once more on a new connection
        id = ask();
    if (!id) {
        m_connected = false;
        done({{},
              {},
              protocol::Error{protocol::ErrorCode::Unavailable,
                              QStringLiteral("the relays' database cannot be reached; retry later")}});
        return;
    }
    m_waiting.insert(*id, {std::move(done), QDateTime::currentSecsSinceEpoch()});
    exec(QStringLiteral("SELECT pg_notify('%1', '')").arg(QLatin1String(kWanted)));
}

void SubscriptionCoordinator::release(const QString &broadcasterId, const QString &userId) {
    // Only the owner counts who still wants a subscription; the others' clients renew it by asking again,
    // and an unused one goes after the TTL (days).
    if (m_owner)
        m_subscriptions.release(broadcasterId, userId);
}

void SubscriptionCoordinator::verified(const QString &subscriptionId) {
    if (m_owner)
        m_subscriptions.markVerified(subscriptionId);
    else
        exec(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kVerified)), {subscriptionId});
}

void SubscriptionCoordinator::revokedByTwitch(const QString &subscriptionId, const QString &status) {
    // Every relay (this one included) hears it and tells its own clients.
    if (!exec(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kRevoked)),
              {subscriptionId + u' ' + status}))
        applyRevocation(subscriptionId, status); // at least this relay's clients
}

void SubscriptionCoordinator::applyRevocation(const QString &subscriptionId, const QString &status,
                                              int attempt) {
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT broadcaster_id, moderator_id, type FROM subscriptions WHERE id = ?"));
    q.addBindValue(subscriptionId);
    if (!q.exec() || !q.next()) {
        constexpr int kAttempts = 40;
        if (attempt + 1 < kAttempts) // not written yet, or not one of ours
            QTimer::singleShot(250, this, [this, subscriptionId, status, attempt] {
                applyRevocation(subscriptionId, status, attempt + 1);
            });
        return;
    }
    Q_EMIT revoked(q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), status);
    if (m_owner)
        m_subscriptions.markRevoked(subscriptionId, status);
}

void SubscriptionCoordinator::serveRequests() {
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral(
            "SELECT id, broadcaster_id, user_id FROM wanted WHERE NOT answered ORDER BY id LIMIT 500"))) {
        m_connected = false;
        return;
    }
    while (q.next()) {
        const qint64 id = q.value(0).toLongLong();
        if (m_serving.contains(id))
            continue;
        m_serving.insert(id);
        m_subscriptions.ensure(
            q.value(1).toString(), q.value(2).toString(), [self = QPointer(this), id](const EnsureResult &r) {
                if (!self)
                    return;
                self->m_serving.remove(id);
                auto code = [](const std::optional<protocol::Error> &e) {
                    return e ? textOrNull(protocol::errorCodeName(e->code)) : textOrNull({});
                };
                self->exec(
                    QStringLiteral("UPDATE wanted SET answered = TRUE, kinds = ?, warning_code = ?, "
                                   "warning_message = ?, error_code = ?, error_message = ? WHERE id = ?"),
                    {r.kinds.join(u','), code(r.warning),
                     textOrNull(r.warning ? r.warning->message : QString()), code(r.error),
                     textOrNull(r.error ? r.error->message : QString()), id});
                self->exec(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kWantedDone)),
                           {QString::number(id)});
            });
    }
}

void SubscriptionCoordinator::collectAnswers() {
    if (m_waiting.isEmpty() || !m_connected)
        return;
    QStringList ids;
    for (auto it = m_waiting.cbegin(); it != m_waiting.cend(); ++it)
        ids << QString::number(it.key());
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("SELECT id, kinds, warning_code, warning_message, error_code, error_message "
                               "FROM wanted WHERE answered AND id IN (%1)")
                    .arg(ids.join(u',')))) {
        m_connected = false;
        return;
    }
    auto error = [](const QVariant &code, const QVariant &message) -> std::optional<protocol::Error> {
        if (code.isNull())
            return std::nullopt;
        return protocol::Error{
            protocol::errorCodeFromName(code.toString()).value_or(protocol::ErrorCode::Unavailable),
            message.toString()};
    };
    QList<qint64> answered;
    while (q.next()) {
        const qint64 id = q.value(0).toLongLong();
        EnsureResult r;
        r.kinds = q.value(1).toString().split(u',', Qt::SkipEmptyParts);
        r.warning = error(q.value(2), q.value(3));
        r.error = error(q.value(4), q.value(5));
        if (auto w = m_waiting.take(id); w.done)
            w.done(r);
        answered << id;
    }
    for (const qint64 id : answered)
        exec(QStringLiteral("DELETE FROM wanted WHERE id = ?"), {id});
    // Nobody answered in time (no owner, or it died while working on it): the client retries later.
    const qint64 late = QDateTime::currentSecsSinceEpoch() - kAnswerWithinSeconds;
    for (auto it = m_waiting.begin(); it != m_waiting.end();) {
        if (it->askedAt >= late) {
            ++it;
            continue;
        }
        it->done({{},
                  {},
                  protocol::Error{protocol::ErrorCode::Unavailable,
                                  QStringLiteral("no relay could set up Twitch's subscriptions in time; "
                                                 "retry later")}});
        it = m_waiting.erase(it);
    }
}

} // namespace streams::relay
