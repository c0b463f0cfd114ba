#pragma once

// Starts one of the project's servers as a real process and waits for its "listening on URL" line.

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryFile>
#include <QUrl>

namespace streams::test {

class ServerProcess {
public:
    ServerProcess(QString program, QStringList arguments,
                  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment());
    ~ServerProcess();

    // Starts the process and waits (up to timeoutMs) for "<name> listening on <url>"; false on failure.
    bool start(int timeoutMs = 15000);
    QUrl url() const { return m_url; }
    QProcess &process() { return m_process; }
    // Everything the process wrote to stderr so far, for failure messages.
    QByteArray errors();
    // SIGKILL, like a crash or power cut of the process.
    void kill();
    // SIGTERM, then wait; returns the exit code, or -1 if it did not exit in time.
    int terminate(int timeoutMs = 10000);

private:
    QString m_program;
    QStringList m_arguments;
    QProcess m_process;
    QUrl m_url;
    QTemporaryFile m_stderrFile;
};

// Blocking GET/POST helpers for tests (they spin the event loop).
struct HttpResult {
    int status = 0;
    QByteArray body;
    QList<QNetworkReply::RawHeaderPair> headers;
    QByteArray header(const QByteArray &name) const;
};
HttpResult httpGet(const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers = {});
HttpResult httpPost(const QUrl &url, const QByteArray &body,
                    const QList<QPair<QByteArray, QByteArray>> &headers = {});

} // namespace streams::test
