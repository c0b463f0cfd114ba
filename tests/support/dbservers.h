#pragma once

// PostgreSQL and Redis as real servers for the tests, started from Debian's packages on free local ports in
// temporary directories and stopped with the object. PostgreSQL refuses to run as root, so as root it runs as
// `nobody`.

#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

#include <optional>

namespace streams::test {

class PostgresServer {
public:
    PostgresServer() = default;
    ~PostgresServer();
    PostgresServer(const PostgresServer &) = delete;
    PostgresServer &operator=(const PostgresServer &) = delete;

    // Where initdb and postgres are; empty when PostgreSQL is not installed.
    static QString binDir();
    // initdb, then the server on a free port; false with *why.
    bool start(QString *why);
    // Stops the server at once (as a crash would; its data stays) and starts it again on the same port.
    void stop();
    bool resume(QString *why);
    quint16 port() const { return m_port; }
    // A URL for the relay's STREAMS_RELAY_DATABASE_URL.
    QUrl url(const QString &database) const;
    // Creates an empty database; false with *why.
    bool createDatabase(const QString &name, QString *why);
    // Runs one SQL statement in `database` through psql; its output (unaligned, tuples only), or nullopt.
    std::optional<QString> query(const QString &database, const QString &sql, QString *why = nullptr);

private:
    bool run(const QStringList &command, QString *output);
    bool launch(QString *why); // pg_ctl start on m_port
    QStringList asServerUser(const QString &program) const;
    QTemporaryDir m_dir;
    QString m_data;
    quint16 m_port = 0;
    bool m_running = false;
};

class RedisServer {
public:
    RedisServer() = default;
    ~RedisServer();
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    static QString program(); // empty when redis-server is not installed
    // On a free port (or `port` again, for a restart); false with *why.
    bool start(QString *why, quint16 port = 0);
    void stop(); // SIGTERM and wait
    void kill(); // SIGKILL
    quint16 port() const { return m_port; }
    QUrl url() const;

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
};

// A TCP port nobody listens on right now.
quint16 freeLocalPort();

} // namespace streams::test
