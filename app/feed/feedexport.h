#pragma once

// Exporting a streamer's events of a period, filtered by kind, to CSV or JSON: read from the local store
// and written on a thread of its own (a year of a big channel's follows must not freeze the window), with
// progress, cancellation, and the file replaced only when everything was written (QSaveFile).
// Columns: time (UTC, ISO 8601 with milliseconds), kind, user login, display name, amount, message.

#include "events/feedevent.h"
#include "store/localstore.h"

#include <QObject>

#include <atomic>
#include <memory>
#include <thread>

namespace streams::app {

enum class ExportFormat { Csv, Json };

// One file's worth of text per event, as exported (public for the tests that read files back).
QByteArray csvHeader();
QByteArray csvLine(const FeedEvent &event);
QByteArray jsonRecord(const FeedEvent &event); // one compact JSON object

class FeedExport : public QObject {
    Q_OBJECT
public:
    struct Request {
        QString storePath; // LocalStore::path()
        LocalStore::EventQuery query;
        ExportFormat format = ExportFormat::Csv;
        QString filePath;
    };
    explicit FeedExport(QObject *parent = nullptr);
    ~FeedExport() override; // cancels, and waits for the thread

    // Starts the export (once per object); progress() and finished() come on this object's thread.
    void start(Request request);
    void cancel();
    bool running() const { return m_thread.joinable() && !m_done; }

Q_SIGNALS:
    void started(qint64 total); // how many events will be written
    void progress(qint64 written, qint64 total);
    // ok: the file holds every event asked for; else `error` says why (nothing was replaced).
    void finished(bool ok, qint64 written, const QString &error);

private:
    void run(const Request &request);

    std::thread m_thread;
    std::atomic_bool m_cancel{false};
    bool m_done = false;
};

} // namespace streams::app
