#include "engines.h"

#include "benchsupport.h"

#include <QDir>
#include <QFile>
#include <QTcpSocket>

#include <cstdio>

#include <unistd.h>

namespace streams::bench {
namespace {

// The fields after the command name of a /proc/PID/stat line: [0] is field 3 (state), [1] the parent's pid,
// [11] and [12] utime and stime, [13] and [14] cutime and cstime (children waited for), in clock ticks.
std::optional<QList<QByteArray>> statFields(qint64 pid) {
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return std::nullopt;
    QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    if (fields.size() < 15)
        return std::nullopt;
    return fields;
}

qint64 ticksToUs(qint64 ticks) {
    return ticks * 1000000 / ::sysconf(_SC_CLK_TCK);
}

} // namespace

bool SharedEngines::start(QString *why) {
    if (!m_pg.start(why))
        return false;
    // The postmaster's pid is the first line of postmaster.pid in the data directory the server names.
    const auto dataDir = m_pg.query(QStringLiteral("postgres"), QStringLiteral("SHOW data_directory"), why);
    if (!dataDir)
        return false;
    QFile pidFile(QDir(*dataDir).filePath(QStringLiteral("postmaster.pid")));
    if (!pidFile.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("cannot read %1").arg(pidFile.fileName());
        return false;
    }
    m_postmaster = pidFile.readLine().trimmed().toLongLong();
    if (m_postmaster <= 0) {
        *why = QStringLiteral("no pid in %1").arg(pidFile.fileName());
        return false;
    }
    m_version =
        m_pg.query(QStringLiteral("postgres"), QStringLiteral("SHOW server_version")).value_or(QString());
    if (!m_redis.start(why))
        return false;
    const auto server = redisInfo("server");
    if (server)
        for (const QByteArray &line : server->split('\n'))
            if (line.startsWith("process_id:"))
                m_redisPid = line.mid(11).trimmed().toLongLong();
    if (m_redisPid <= 0) {
        *why = QStringLiteral("redis-server did not tell its process_id");
        return false;
    }
    return true;
}

std::optional<QUrl> SharedEngines::newDatabase(const QString &name, QString *why) {
    if (!m_pg.createDatabase(name, why))
        return std::nullopt;
    return m_pg.url(name);
}

qint64 SharedEngines::postgresCpuUs() const {
    qint64 ticks = 0;
    // Children first: one that exits before the postmaster is read is then counted twice (a few ms of a
    // psql backend at most), never missed.
    const QDir proc(QStringLiteral("/proc"));
    const QByteArray parent = QByteArray::number(m_postmaster);
    for (const QString &entry : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid || pid == m_postmaster)
            continue;
        const auto fields = statFields(pid);
        if (fields && (*fields)[1] == parent)
            ticks += (*fields)[11].toLongLong() + (*fields)[12].toLongLong();
    }
    if (const auto fields = statFields(m_postmaster))
        for (const int i : {11, 12, 13, 14})
            ticks += (*fields)[i].toLongLong();
    return ticksToUs(ticks);
}

qint64 SharedEngines::redisCpuUs() const {
    return processCpuUs(m_redisPid).value_or(0);
}

std::optional<qint64> SharedEngines::commits(const QString &database) {
    QString why;
    const auto out = m_pg.query(
        QStringLiteral("postgres"),
        QStringLiteral("SELECT xact_commit FROM pg_stat_database WHERE datname = '%1'").arg(database), &why);
    if (!out) {
        std::fprintf(stderr, "relay-bench: pg_stat_database: %s\n", qPrintable(why));
        return std::nullopt;
    }
    bool ok = false;
    const qint64 n = out->toLongLong(&ok);
    return ok ? std::optional<qint64>(n) : std::nullopt;
}

std::optional<QByteArray> SharedEngines::redisInfo(const QByteArray &section) const {
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(m_redis.url().port()));
    if (!socket.waitForConnected(2000))
        return std::nullopt;
    socket.write("INFO " + section + "\r\n");
    // The answer is one bulk string: $<length>\r\n<text>\r\n.
    QByteArray in;
    qsizetype length = -1;
    qsizetype headerEnd = -1;
    while (length < 0 || in.size() < headerEnd + 2 + length) {
        if (!socket.waitForReadyRead(2000))
            return std::nullopt;
        in += socket.readAll();
        if (length < 0 && (headerEnd = in.indexOf("\r\n")) > 0) {
            if (!in.startsWith('$'))
                return std::nullopt;
            length = in.mid(1, headerEnd - 1).toLongLong();
        }
    }
    return in.mid(headerEnd + 2, length);
}

std::optional<SharedEngines::RedisCounts> SharedEngines::redisCounts() const {
    const auto info = redisInfo("all");
    if (!info)
        return std::nullopt;
    RedisCounts counts;
    for (QByteArray line : info->split('\n')) {
        line = line.trimmed();
        if (line.startsWith("total_commands_processed:")) {
            counts.commands = line.mid(25).toLongLong();
        } else if (line.startsWith("cmdstat_publish:")) {
            // cmdstat_publish:calls=N,usec=...
            for (const QByteArray &part : line.mid(16).split(','))
                if (part.startsWith("calls="))
                    counts.publishes = part.mid(6).toLongLong();
        }
    }
    return counts;
}

} // namespace streams::bench
