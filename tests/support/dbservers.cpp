#include "dbservers.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <optional>

#include <unistd.h>

namespace streams::test {
namespace {

constexpr uid_t kNobody = 65534;

bool runningAsRoot() {
    return ::geteuid() == 0;
}

} // namespace

quint16 freeLocalPort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

PostgresServer::~PostgresServer() {
    stop();
}

QString PostgresServer::binDir() {
    // Debian keeps the server binaries out of PATH, one folder per major version: take the newest.
    const QDir versions(QStringLiteral("/usr/lib/postgresql"));
    QStringList found = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(found.begin(), found.end(),
              [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &v : found) {
        const QString bin = versions.filePath(v + QStringLiteral("/bin"));
        if (QFileInfo(bin + QStringLiteral("/postgres")).isExecutable() &&
            QFileInfo(bin + QStringLiteral("/initdb")).isExecutable())
            return bin;
    }
    return {};
}

QStringList PostgresServer::asServerUser(const QString &program) const {
    if (!runningAsRoot())
        return {program};
    return {QStringLiteral("setpriv"), QStringLiteral("--reuid=%1").arg(kNobody),
            QStringLiteral("--regid=%1").arg(kNobody), QStringLiteral("--clear-groups"), program};
}

bool PostgresServer::run(const QStringList &command, QString *output) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setWorkingDirectory(m_dir.path()); // nobody may not enter the caller's directory
    p.start(command.first(), command.mid(1));
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        *output = QStringLiteral("%1 did not finish").arg(command.join(u' '));
        return false;
    }
    *output = QString::fromLocal8Bit(p.readAll());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

bool PostgresServer::start(QString *why) {
    const QString bin = binDir();
    if (bin.isEmpty()) {
        *why = QStringLiteral("PostgreSQL is not installed (scripts/install-deps.sh installs it)");
        return false;
    }
    if (!m_dir.isValid()) {
        *why = QStringLiteral("no temporary directory");
        return false;
    }
    m_data = m_dir.filePath(QStringLiteral("data"));
    if (runningAsRoot() && (::chown(m_dir.path().toLocal8Bit().constData(), kNobody, kNobody) != 0)) {
        *why = QStringLiteral("cannot hand %1 to nobody").arg(m_dir.path());
        return false;
    }
    QString out;
    if (!run(asServerUser(bin + QStringLiteral("/initdb")) +
                 QStringList{QStringLiteral("-D"), m_data, QStringLiteral("-U"), QStringLiteral("streams"),
                             QStringLiteral("--auth=trust"), QStringLiteral("-E"), QStringLiteral("UTF8"),
                             QStringLiteral("--locale=C"), QStringLiteral("--no-sync")},
             &out)) {
        *why = QStringLiteral("initdb failed: %1").arg(out.right(600));
        return false;
    }
    // A port taken between the probe and the server's bind makes pg_ctl fail: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freeLocalPort();
        if (launch(why))
            return true;
    }
    return false;
}

bool PostgresServer::resume(QString *why) {
    return !m_running && !m_data.isEmpty() && launch(why);
}

bool PostgresServer::launch(QString *why) {
    const QString options = QStringLiteral("-p %1 -k %2 -c listen_addresses=127.0.0.1 -c max_connections=300 "
                                           "-c shared_buffers=64MB")
                                .arg(m_port)
                                .arg(m_dir.path());
    QString out;
    if (run(asServerUser(binDir() + QStringLiteral("/pg_ctl")) +
                QStringList{QStringLiteral("-D"), m_data, QStringLiteral("-o"), options, QStringLiteral("-l"),
                            m_dir.filePath(QStringLiteral("server.log")), QStringLiteral("-w"),
                            QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")},
            &out)) {
        m_running = true;
        return true;
    }
    QFile log(m_dir.filePath(QStringLiteral("server.log")));
    log.open(QIODevice::ReadOnly);
    *why = QStringLiteral("postgres did not start: %1 %2")
               .arg(out.right(300), QString::fromLocal8Bit(log.readAll().right(600)));
    return false;
}

void PostgresServer::stop() {
    if (!m_running)
        return;
    m_running = false;
    QString out;
    run(asServerUser(binDir() + QStringLiteral("/pg_ctl")) +
            QStringList{QStringLiteral("-D"), m_data, QStringLiteral("-m"), QStringLiteral("immediate"),
                        QStringLiteral("-w"), QStringLiteral("stop")},
        &out);
}

QUrl PostgresServer::url(const QString &database) const {
    QUrl u;
    u.setScheme(QStringLiteral("postgresql"));
    u.setUserName(QStringLiteral("streams"));
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_port);
    u.setPath(u'/' + database);
    return u;
}

std::optional<QString> PostgresServer::query(const QString &database, const QString &sql, QString *why) {
    QString out;
    const QStringList command{binDir() + QStringLiteral("/psql"),
                              QStringLiteral("-h"),
                              QStringLiteral("127.0.0.1"),
                              QStringLiteral("-p"),
                              QString::number(m_port),
                              QStringLiteral("-U"),
                              QStringLiteral("streams"),
                              QStringLiteral("-d"),
                              database,
                              QStringLiteral("-XAtq"),
                              QStringLiteral("-v"),
                              QStringLiteral("ON_ERROR_STOP=1"),
                              QStringLiteral("-c"),
                              sql};
    if (!run(command, &out)) {
        if (why)
            *why = out;
        return std::nullopt;
    }
    return out.trimmed();
}

bool PostgresServer::createDatabase(const QString &name, QString *why) {
    return query(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE \"%1\"").arg(name), why)
        .has_value();
}

RedisServer::~RedisServer() {
    stop();
}

QString RedisServer::program() {
    return QStandardPaths::findExecutable(QStringLiteral("redis-server"));
}

bool RedisServer::start(QString *why, quint16 port) {
    const QString redis = program();
    if (redis.isEmpty()) {
        *why = QStringLiteral("redis-server is not installed (scripts/install-deps.sh installs it)");
        return false;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = port ? port : freeLocalPort();
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.setWorkingDirectory(m_dir.path());
        m_process.start(redis, {QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                                QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                                QStringLiteral("--appendonly"), QStringLiteral("no"), QStringLiteral("--dir"),
                                m_dir.path()});
        if (!m_process.waitForStarted(10000)) {
            *why = QStringLiteral("redis-server did not start: %1").arg(m_process.errorString());
            return false;
        }
        // Ready once it answers on its port.
        const QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired() && m_process.state() == QProcess::Running) {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, m_port);
            if (probe.waitForConnected(200)) {
                probe.write("PING\r\n");
                if (probe.waitForReadyRead(1000) && probe.readAll().startsWith("+PONG"))
                    return true;
            }
            m_process.waitForFinished(
                50); // returns at once when it exits; otherwise a short wait before retrying
        }
        *why = QStringLiteral("redis-server did not answer on port %1: %2")
                   .arg(m_port)
                   .arg(QString::fromLocal8Bit(m_process.readAll().right(400)));
        m_process.kill();
        m_process.waitForFinished();
        if (port)
            break;
    }
    return false;
}

void RedisServer::stop() {
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished();
    }
}

void RedisServer::kill() {
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished();
}

QUrl RedisServer::url() const {
    return QUrl(QStringLiteral("redis://127.0.0.1:%1").arg(m_port));
}

} // namespace streams::test
