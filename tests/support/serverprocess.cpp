#include "serverprocess.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTimer>

namespace streams::test {

ServerProcess::ServerProcess(QString program, QStringList arguments, QProcessEnvironment environment)
    : m_program(std::move(program))
    , m_arguments(std::move(arguments)) {
    m_process.setProcessEnvironment(environment);
    // A pipe nobody reads fills up and blocks the server's logging: keep stderr in a file.
    // STREAMS_TEST_KEEP_LOGS=1 keeps each server's stderr file and names it, for post-mortems.
    if (qEnvironmentVariableIsSet("STREAMS_TEST_KEEP_LOGS"))
        m_stderrFile.setAutoRemove(false);
    m_stderrFile.open();
    if (qEnvironmentVariableIsSet("STREAMS_TEST_KEEP_LOGS"))
        qInfo("%s logs to %s", qPrintable(m_program), qPrintable(m_stderrFile.fileName()));
    m_process.setStandardErrorFile(m_stderrFile.fileName());
}

ServerProcess::~ServerProcess() {
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool ServerProcess::start(int timeoutMs) {
    static const QRegularExpression line(QStringLiteral(" listening on (\\S+)"));
    m_process.start(m_program, m_arguments);
    if (!m_process.waitForStarted(timeoutMs))
        return false;
    QDeadlineTimer deadline(timeoutMs);
    QByteArray out;
    while (!deadline.hasExpired()) {
        if (!m_process.canReadLine() && !m_process.waitForReadyRead(int(deadline.remainingTime())))
            break;
        while (m_process.canReadLine()) {
            const QByteArray l = m_process.readLine();
            out += l;
            const auto match = line.match(QString::fromUtf8(l));
            if (match.hasMatch()) {
                m_url = QUrl(match.captured(1));
                return m_url.isValid();
            }
        }
    }
    qWarning("%s did not report a listening URL; stdout: %s stderr: %s", qPrintable(m_program),
             out.constData(), errors().constData());
    return false;
}

QByteArray ServerProcess::errors() {
    QFile f(m_stderrFile.fileName());
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void ServerProcess::kill() {
    m_process.kill();
    m_process.waitForFinished(5000);
}

int ServerProcess::terminate(int timeoutMs) {
    m_process.terminate();
    if (!m_process.waitForFinished(timeoutMs))
        return -1;
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

QByteArray HttpResult::header(const QByteArray &name) const {
    for (const auto &[key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

namespace {

HttpResult run(QNetworkReply *reply) {
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(15000, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    HttpResult r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.headers = reply->rawHeaderPairs();
    reply->deleteLater();
    return r;
}

QNetworkAccessManager &manager() {
    static QNetworkAccessManager nam;
    return nam;
}

} // namespace

HttpResult httpGet(const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers) {
    QNetworkRequest request(url);
    for (const auto &[k, v] : headers)
        request.setRawHeader(k, v);
    return run(manager().get(request));
}

HttpResult httpPost(const QUrl &url, const QByteArray &body,
                    const QList<QPair<QByteArray, QByteArray>> &headers) {
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[k, v] : headers)
        request.setRawHeader(k, v);
    return run(manager().post(request, body));
}

} // namespace streams::test
