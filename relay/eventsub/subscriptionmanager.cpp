#include "eventsub/subscriptionmanager.h"

#include "platform/backoff.h"
#include "storage/database.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSqlQuery>
#include <QVariant>

#include <memory>

Q_LOGGING_CATEGORY(lcSubs, "streams.relay.subscriptions")

namespace streams::relay {
namespace {

const QString kFollow = QStringLiteral("channel.follow");
const QString kOnline = QStringLiteral("stream.online");
const QString kOffline = QStringLiteral("stream.offline");
constexpr int kMaxAttempts = 4;
// Twitch busy or away (429, 5xx, no answer) when creating: the next attempt after 1, 2, then 4 s.
constexpr Backoff::Policy kCreateRetry{std::chrono::seconds(1), std::chrono::seconds(4)};

bool isLive(const QString &status) {
    return status == u"enabled" || status == u"webhook_callback_verification_pending";
}

} // namespace

SubscriptionManager::SubscriptionManager(TwitchApi &api, QString callbackUrl, QByteArray secret,
                                         StorageTarget database, Writer write, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_callback(std::move(callbackUrl))
    , m_secret(std::move(secret))
    , m_write(std::move(write))
    , m_database(std::move(database)) {
    load();
    m_unusedTimer.setInterval(3600 * 1000);
    connect(&m_unusedTimer, &QTimer::timeout, this, [this] { deleteUnused(); });
    m_unusedTimer.start();
}

void SubscriptionManager::load() {
    m_known.clear();
    m_keyById.clear();
    QString error;
    const QString connection = QStringLiteral("subscriptions-load");
    if (auto db = openDatabase(m_database, connection, false, &error)) {
        QSqlQuery q(*db);
        q.exec(QStringLiteral(
            "SELECT id, type, broadcaster_id, moderator_id, status, last_wanted_at FROM subscriptions"));
        while (q.next()) {
            Known k;
            k.sub.id = q.value(0).toString();
            k.sub.type = q.value(1).toString();
            k.broadcasterId = q.value(2).toString();
            k.moderatorId = q.value(3).toString();
            k.sub.status = q.value(4).toString();
            k.lastWantedAt = q.value(5).toLongLong();
            QJsonObject condition{{"broadcaster_user_id", k.broadcasterId}};
            if (!k.moderatorId.isEmpty())
                condition.insert("moderator_user_id", k.moderatorId);
            k.sub.condition = condition;
            const QString key = keyFor(k.sub.type, condition);
            m_known.insert(key, k);
            m_keyById.insert(k.sub.id, key);
        }
    } else {
        qCWarning(lcSubs).noquote() << error;
    }
    closeDatabase(connection);
}

void SubscriptionManager::setOwner(bool owner) {
    if (owner && !m_owner)
        load(); // another relay owned them until now: take what it recorded
    m_owner = owner;
}

SubscriptionManager::~SubscriptionManager() = default;

QString SubscriptionManager::keyFor(const QString &type, const QJsonObject &condition) {
    return type + QLatin1Char('|') + condition.value(QLatin1String("broadcaster_user_id")).toString() +
           QLatin1Char('|') + condition.value(QLatin1String("moderator_user_id")).toString();
}

void SubscriptionManager::reconcile() {
    m_api.listSubscriptions({}, [this](HttpOutcome out, QList<EventSubSubscription> subs) {
        if (!out.ok()) {
            qCWarning(lcSubs).noquote()
                << "cannot list subscriptions at start-up:" << out.describe() << "- retrying in 10 s";
            QTimer::singleShot(10000, this, &SubscriptionManager::reconcile);
            return;
        }
        int adopted = 0, removed = 0;
        QSet<QString> seen;
        for (const EventSubSubscription &sub : subs) {
            if (sub.callback != m_callback)
                continue; // another deployment's subscription
            if (!isLive(sub.status)) {
                m_api.deleteSubscription(sub.id, [](HttpOutcome) {});
                ++removed;
                continue;
            }
            remember(sub);
            seen.insert(sub.id);
            ++adopted;
        }
        // What we remembered but Twitch no longer has is gone.
        const auto known = m_known;
        for (auto it = known.cbegin(); it != known.cend(); ++it)
            if (!seen.contains(it->sub.id))
                forget(it.key());
        m_reconciled = true;
        qCInfo(lcSubs) << "reconciled with Twitch:" << adopted << "subscriptions adopted," << removed
                       << "failed ones deleted";
    });
}

void SubscriptionManager::ensure(const QString &broadcasterId, const QString &userId,
                                 std::function<void(EnsureResult)> done) {
    struct State {
        EnsureResult result;
        int pending = 3;
        std::function<void(EnsureResult)> done;
    };
    auto state = std::make_shared<State>();
    state->done = std::move(done);
    auto finishOne = [state](const QString &kind, std::optional<protocol::Error> error) {
        if (!error)
            state->result.kinds.append(kind);
        else if (kind == u"follow")
            state->result.warning = error;
        else
            state->result.error = error;
        if (--state->pending > 0)
            return;
        // Stable order for clients: follow, online, offline.
        QStringList ordered;
        for (const char *k : {"follow", "online", "offline"})
            if (state->result.kinds.contains(QLatin1String(k)))
                ordered.append(QLatin1String(k));
        state->result.kinds = ordered;
        if (ordered.contains(QLatin1String("online")))
            state->result.error.reset();
        state->done(state->result);
    };
    const QJsonObject streamCondition{{"broadcaster_user_id", broadcasterId}};
    const QJsonObject followCondition{{"broadcaster_user_id", broadcasterId}, {"moderator_user_id", userId}};
    for (const QString &key : {keyFor(kFollow, followCondition), keyFor(kOnline, streamCondition),
                               keyFor(kOffline, streamCondition)})
        ++m_activeUsers[key];
    ensureOne(kFollow, QStringLiteral("2"), followCondition,
              [finishOne](auto e) { finishOne(QStringLiteral("follow"), e); });
    ensureOne(kOnline, QStringLiteral("1"), streamCondition,
              [finishOne](auto e) { finishOne(QStringLiteral("online"), e); });
    ensureOne(kOffline, QStringLiteral("1"), streamCondition,
              [finishOne](auto e) { finishOne(QStringLiteral("offline"), e); });
}

void SubscriptionManager::release(const QString &broadcasterId, const QString &userId) {
    const QJsonObject streamCondition{{"broadcaster_user_id", broadcasterId}};
    const QJsonObject followCondition{{"broadcaster_user_id", broadcasterId}, {"moderator_user_id", userId}};
    for (const QString &key : {keyFor(kFollow, followCondition), keyFor(kOnline, streamCondition),
                               keyFor(kOffline, streamCondition)}) {
        auto it = m_activeUsers.find(key);
        if (it != m_activeUsers.end() && --*it <= 0)
            m_activeUsers.erase(it);
        auto known = m_known.find(key);
        if (known != m_known.end())
            touch(*known);
    }
}

void SubscriptionManager::ensureOne(const QString &type, const QString &version, const QJsonObject &condition,
                                    Callback done) {
    const QString key = keyFor(type, condition);
    if (auto refused = m_refused.find(key); refused != m_refused.end()) {
        if (refused->age.elapsed() < kRefusalMemoryMs) {
            done(refused->error);
            return;
        }
        m_refused.erase(refused);
    }
    auto known = m_known.find(key);
    if (known != m_known.end() && isLive(known->sub.status)) {
        touch(*known);
        done(std::nullopt);
        return;
    }
    auto &waiting = m_inflight[key];
    waiting.append(std::move(done));
    if (waiting.size() == 1)
        create(key, type, version, condition, 1);
}

void SubscriptionManager::create(const QString &key, const QString &type, const QString &version,
                                 const QJsonObject &condition, int attempt) {
    m_api.createSubscription(type, version, condition, m_callback, m_secret, [=, this](HttpOutcome out) {
        if (out.status == 202) {
            const QJsonObject data = out.body.value(QLatin1String("data")).toArray().first().toObject();
            remember(EventSubSubscription::fromJson(data));
            finish(key, std::nullopt);
            return;
        }
        if (out.status == 409) {
            resolveConflict(key, type, version, condition, attempt);
            return;
        }
        if ((out.status == 429 || out.status == 0 || out.status >= 500) && attempt < kMaxAttempts) {
            const std::chrono::milliseconds delay = kCreateRetry.base(attempt - 1);
            qCInfo(lcSubs).noquote() << "creating" << type << "failed (" << out.describe() << "); retry in"
                                     << delay.count() << "ms";
            QTimer::singleShot(delay, this,
                               [=, this] { create(key, type, version, condition, attempt + 1); });
            return;
        }
        qCWarning(lcSubs).noquote() << "Twitch refused" << type << "for"
                                    << condition.value(QLatin1String("broadcaster_user_id")).toString() << ":"
                                    << out.status << out.describe();
        const auto error = errorFor(type, out);
        if (out.status == 403 && type == kFollow && error) { // not this user's to see: Twitch says so again
            if (m_refused.size() > 100000)
                m_refused.clear();
            Refusal &refusal = m_refused[key];
            refusal.error = *error;
            refusal.age.start();
        }
        finish(key, error);
    });
}

void SubscriptionManager::resolveConflict(const QString &key, const QString &type, const QString &version,
                                          const QJsonObject &condition, int attempt) {
    m_api.listSubscriptions({QStringLiteral("type"), type}, [=, this](HttpOutcome out,
                                                                      QList<EventSubSubscription> subs) {
        if (!out.ok()) {
            finish(key, errorFor(type, out));
            return;
        }
        for (const EventSubSubscription &sub : subs) {
            if (keyFor(sub.type, sub.condition) != key)
                continue;
            if (sub.callback == m_callback && isLive(sub.status)) {
                remember(sub);
                finish(key, std::nullopt);
                return;
            }
            // A stale one (old callback or secret, or failed): replace it.
            m_api.deleteSubscription(sub.id, [=, this](HttpOutcome) {
                if (attempt < kMaxAttempts)
                    create(key, type, version, condition, attempt + 1);
                else
                    finish(key, protocol::Error{
                                    protocol::ErrorCode::Unavailable,
                                    QStringLiteral("Twitch keeps reporting a conflicting subscription; "
                                                   "try again later.")});
            });
            return;
        }
        if (attempt < kMaxAttempts)
            create(key, type, version, condition, attempt + 1);
        else
            finish(key, protocol::Error{
                            protocol::ErrorCode::Unavailable,
                            QStringLiteral("Twitch reported a conflict but lists no such subscription.")});
    });
}

std::optional<protocol::Error> SubscriptionManager::errorFor(const QString &type,
                                                             const HttpOutcome &out) const {
    using protocol::ErrorCode;
    if (type == kFollow && (out.status == 403 || out.status == 400))
        return protocol::Error{
            ErrorCode::Forbidden,
            QStringLiteral("Twitch shows follows only to the broadcaster and moderators who granted "
                           "moderator:read:followers (Twitch said: %1). Online and offline "
                           "still arrive.")
                .arg(out.describe())};
    if (out.status == 400)
        return protocol::Error{ErrorCode::BadRequest,
                               QStringLiteral("Twitch refused the subscription: %1").arg(out.describe())};
    if (out.status == 403 || out.status == 401)
        return protocol::Error{
            ErrorCode::Unavailable,
            QStringLiteral("The relay's Twitch application was refused (%1); the operator must "
                           "check its client ID and secret.")
                .arg(out.describe())};
    if (out.status == 429)
        return protocol::Error{ErrorCode::RateLimited,
                               QStringLiteral("Twitch is rate-limiting the relay; try again in a minute.")};
    return protocol::Error{
        ErrorCode::Unavailable,
        QStringLiteral("Twitch is not answering (%1); try again later.").arg(out.describe())};
}

void SubscriptionManager::finish(const QString &key, std::optional<protocol::Error> error) {
    const auto waiting = m_inflight.take(key);
    for (const auto &callback : waiting)
        callback(error);
}

void SubscriptionManager::remember(const EventSubSubscription &sub) {
    const QString key = keyFor(sub.type, sub.condition);
    Known &k = m_known[key];
    if (!k.sub.id.isEmpty() && k.sub.id != sub.id)
        m_keyById.remove(k.sub.id);
    k.sub = sub;
    k.broadcasterId = sub.condition.value(QLatin1String("broadcaster_user_id")).toString();
    k.moderatorId = sub.condition.value(QLatin1String("moderator_user_id")).toString();
    k.lastWantedAt = QDateTime::currentSecsSinceEpoch();
    m_keyById.insert(sub.id, key);
    persist(k);
    if (m_revokedEarly.contains(sub.id)) {
        // After the callers waiting for this subscription were answered (and their clients joined).
        const QString status = m_revokedEarly.take(sub.id).status;
        QTimer::singleShot(0, this, [this, id = sub.id, status] { markRevoked(id, status); });
    }
}

void SubscriptionManager::persist(Known &k) {
    m_write(QStringLiteral(
                "INSERT INTO subscriptions(id, type, broadcaster_id, moderator_id, status, last_wanted_at) "
                "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
                "last_wanted_at = excluded.last_wanted_at"),
            // moderator_id is '' for stream.online/offline (NOT NULL): a null QString would bind as NULL.
            {k.sub.id, k.sub.type, k.broadcasterId,
             k.moderatorId.isNull() ? QStringLiteral("") : k.moderatorId, k.sub.status, k.lastWantedAt});
    k.persistedWantedAt = k.lastWantedAt;
}

void SubscriptionManager::touch(Known &k) {
    // Each client's subscribe and release says "still wanted"; on disk, once a minute is plenty for a
    // 7-day TTL (10,000 clients of one broadcaster were 30,000 writes otherwise).
    k.lastWantedAt = QDateTime::currentSecsSinceEpoch();
    if (k.lastWantedAt - k.persistedWantedAt >= 60)
        persist(k);
}

void SubscriptionManager::forget(const QString &key) {
    const Known k = m_known.take(key);
    m_keyById.remove(k.sub.id);
    m_write(QStringLiteral("DELETE FROM subscriptions WHERE id = ?"), {k.sub.id});
}

void SubscriptionManager::markVerified(const QString &subscriptionId) {
    const QString key = m_keyById.value(subscriptionId);
    auto it = m_known.find(key);
    if (it == m_known.end())
        return;
    it->sub.status = QStringLiteral("enabled");
    persist(*it);
}

void SubscriptionManager::markRevoked(const QString &subscriptionId, const QString &status) {
    const QString key = m_keyById.value(subscriptionId);
    auto it = m_known.find(key);
    if (it == m_known.end()) {
        for (auto early = m_revokedEarly.begin(); early != m_revokedEarly.end();)
            early =
                early->age.hasExpired(kEarlyRevocationMs) ? m_revokedEarly.erase(early) : std::next(early);
        EarlyRevocation &early = m_revokedEarly[subscriptionId];
        early.status = status;
        early.age.start();
        return;
    }
    const Known k = *it;
    qCInfo(lcSubs).noquote() << "subscription" << k.sub.type << "for" << k.broadcasterId
                             << "revoked:" << status;
    forget(key);
    Q_EMIT revoked(k.broadcasterId, k.moderatorId, k.sub.type, status);
}

void SubscriptionManager::setUnusedAfter(qint64 seconds) {
    m_unusedAfterSeconds = seconds;
    m_unusedTimer.start(int(qBound(qint64(1), seconds / 2, qint64(3600)) * 1000));
}

void SubscriptionManager::deleteUnused() {
    if (!m_owner)
        return; // the relay that owns the subscriptions decides
    const qint64 cutoff = QDateTime::currentSecsSinceEpoch() - m_unusedAfterSeconds;
    const auto known = m_known;
    for (auto it = known.cbegin(); it != known.cend(); ++it) {
        if (m_activeUsers.value(it.key()) > 0 || it->lastWantedAt > cutoff)
            continue;
        qCInfo(lcSubs).noquote() << "deleting unused subscription" << it->sub.type << "for"
                                 << it->broadcasterId;
        const QString &key = it.key(); // of `known`, a copy that outlives the loop
        m_api.deleteSubscription(it->sub.id, [this, key](HttpOutcome out) {
            if (out.ok() || out.status == 404)
                forget(key);
        });
    }
}

} // namespace streams::relay
