#pragma once

// relay-bench --postgres / --relays N: the shared engines several relays run on, PostgreSQL (the event log)
// and Redis (fan-out between relays), started for the bench with the test suites' servers
// (tests/support/dbservers.h), and what they spend and count while the relays work: the CPU of every
// PostgreSQL process (the postmaster and its children, backends that have exited included) and of
// redis-server, from /proc; the database's committed transactions (pg_stat_database.xact_commit); Redis's
// commands and PUBLISHes (INFO over a plain socket).

#include "dbservers.h"

#include <QString>
#include <QUrl>

#include <optional>

namespace streams::bench {

class SharedEngines {
public:
    // Starts PostgreSQL and redis-server on free local ports; false with *why.
    bool start(QString *why);
    // Creates an empty database for one run; its URL for STREAMS_RELAY_DATABASE_URL, or nullopt with *why.
    std::optional<QUrl> newDatabase(const QString &name, QString *why);
    QUrl redisUrl() const { return m_redis.url(); }
    qint64 postmasterPid() const { return m_postmaster; }
    QString postgresVersion() const { return m_version; }
    qint64 redisPid() const { return m_redisPid; }

    // User + system CPU of every PostgreSQL process in µs: the postmaster, its live children, and (through
    // the postmaster's cutime/cstime) the children it has reaped.
    qint64 postgresCpuUs() const;
    qint64 redisCpuUs() const;

    // pg_stat_database.xact_commit of `database`. PostgreSQL publishes a backend's counts at most once a
    // second while it is busy and 10 s after it went idle (PGSTAT_IDLE_INTERVAL), so read it that long after
    // the work to count all of it.
    std::optional<qint64> commits(const QString &database);
    // PostgreSQL waits this long before it publishes an idle backend's counts (ms).
    static constexpr int kStatsSettleMs = 11000;

    struct RedisCounts {
        qint64 commands = 0;  // total_commands_processed
        qint64 publishes = 0; // calls of PUBLISH (commandstats): events put on a broadcaster's channel
    };
    // INFO over a plain TCP connection (its own INFO is one of the commands counted); nullopt if Redis does
    // not answer.
    std::optional<RedisCounts> redisCounts() const;

private:
    std::optional<QByteArray> redisInfo(const QByteArray &section) const;

    test::PostgresServer m_pg;
    test::RedisServer m_redis;
    qint64 m_postmaster = 0;
    QString m_version;
    qint64 m_redisPid = 0;
};

} // namespace streams::bench
