#include "feed/feedexport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSaveFile>

namespace streams::app {
namespace {

constexpr qint64 kProgressEvery = 500; // events between two progress signals

QString isoUtc(const QDateTime &t) {
    return t.toUTC().toString(Qt::ISODateWithMs); // 2026-12-02T07:13:44.123Z
}

// RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled. Text a spreadsheet
// would run as a formula (a chat message starting with = + - @) gets a leading apostrophe.
QByteArray csvField(QString text, bool userText) {
    if (userText && !text.isEmpty() &&
        (text.front() == u'=' || text.front() == u'+' || text.front() == u'-' || text.front() == u'@' ||
         text.front() == u'\t' || text.front() == u'\r'))
        text.prepend(QLatin1Char('\''));
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
        text.contains(QLatin1Char('\n')) || text.contains(QLatin1Char('\r')))
        text = QLatin1Char('"') + text.replace(QLatin1Char('"'), QLatin1String("\"\"")) + QLatin1Char('"');
    return text.toUtf8();
}

} // namespace

QByteArray csvHeader() {
    return QByteArrayLiteral("time,kind,user_login,display_name,amount,message\r\n");
}

QByteArray csvLine(const FeedEvent &e) {
    return csvField(isoUtc(e.occurredAt), false) + ',' + csvField(e.kind, false) + ',' +
           csvField(e.userLogin, true) + ',' + csvField(e.userName, true) + ',' +
           QByteArray::number(e.amount) + ',' + csvField(e.message, true) + "\r\n";
}

QByteArray jsonRecord(const FeedEvent &e) {
    return QJsonDocument(QJsonObject{{QStringLiteral("time"), isoUtc(e.occurredAt)},
                                     {QStringLiteral("kind"), e.kind},
                                     {QStringLiteral("user_login"), e.userLogin},
                                     {QStringLiteral("display_name"), e.userName},
                                     {QStringLiteral("amount"), e.amount},
                                     {QStringLiteral("message"), e.message}})
        .toJson(QJsonDocument::Compact);
}

FeedExport::FeedExport(QObject *parent)
    : QObject(parent) {}

FeedExport::~FeedExport() {
    m_cancel = true;
    if (m_thread.joinable())
        m_thread.join();
}

void FeedExport::start(Request request) {
    Q_ASSERT(!m_thread.joinable());
    m_thread = std::thread([this, request = std::move(request)] { run(request); });
}

void FeedExport::cancel() {
    m_cancel = true;
}

void FeedExport::run(const Request &request) {
    // Signals are queued to this object's thread; the destructor joins this thread first, so `this` lives.
    auto post = [this](auto fn) { QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection); };
    QSaveFile file(request.filePath);
    if (!file.open(QIODevice::WriteOnly)) {
        const QString error = file.errorString();
        post([this, error] {
            m_done = true;
            Q_EMIT finished(false, 0, error);
        });
        return;
    }
    const bool json = request.format == ExportFormat::Json;
    qint64 total = 0;
    qint64 written = 0;
    QString error;
    auto begin = [&](qint64 count) {
        total = count;
        post([this, count] { Q_EMIT started(count); });
        file.write(json ? QByteArrayLiteral("[") : csvHeader());
    };
    auto each = [&](const FeedEvent &e) {
        if (m_cancel)
            return false;
        if (json)
            file.write((written == 0 ? QByteArrayLiteral("\n") : QByteArrayLiteral(",\n")) + jsonRecord(e));
        else
            file.write(csvLine(e));
        if (++written % kProgressEvery == 0)
            post([this, written, total] { Q_EMIT progress(written, total); });
        return true;
    };
    bool ok = LocalStore::readEvents(request.storePath, request.query, begin, each, &error);
    if (ok && m_cancel) {
        ok = false;
        error = tr("The export was cancelled.");
    }
    if (ok && json)
        file.write(QByteArrayLiteral("\n]\n"));
    if (ok && !file.commit()) {
        ok = false;
        error = file.errorString();
    }
    if (!ok)
        file.cancelWriting();
    post([this, ok, written, total, error] {
        m_done = true;
        if (ok)
            Q_EMIT progress(written, total);
        Q_EMIT finished(ok, ok ? written : 0, error);
    });
}

} // namespace streams::app
