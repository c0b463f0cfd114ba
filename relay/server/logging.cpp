#include "server/logging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>

#include <cstdio>

namespace streams::relay {
namespace {

bool g_json = false;

const char *levelName(QtMsgType type) {
    switch (type) {
    case QtDebugMsg:
        return "debug";
    case QtInfoMsg:
        return "info";
    case QtWarningMsg:
        return "warning";
    case QtCriticalMsg:
        return "error";
    case QtFatalMsg:
        return "fatal";
    }
    return "info";
}

void handler(QtMsgType type, const QMessageLogContext &context, const QString &message) {
    static QMutex mutex;
    const QString time = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    const char *category = context.category ? context.category : "default";
    QByteArray line;
    if (g_json) {
        line = QJsonDocument(QJsonObject{{"time", time},
                                         {"level", QLatin1String(levelName(type))},
                                         {"category", QLatin1String(category)},
                                         {"message", message}})
                   .toJson(QJsonDocument::Compact);
    } else {
        line = time.toUtf8() + ' ' + levelName(type) + ' ' + category + ": " + message.toUtf8();
    }
    line += '\n';
    QMutexLocker lock(&mutex);
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace

void installLogHandler(bool json) {
    g_json = json;
    qInstallMessageHandler(handler);
}

} // namespace streams::relay
