#pragma once

// Exporting the feed: a dialog for the period and the format, then the file (QFileDialog, or whatever
// the composition root injects: tests name the file themselves), then the export on its own thread with a
// progress dialog when it is large. The events are the open streamer's, of the kinds the feed's chips let
// through.

#include "feed/feedexport.h"

#include <QDateTime>
#include <QDialog>
#include <QPointer>
#include <QProgressDialog>

#include <functional>

class QComboBox;
class QDateTimeEdit;
class QLabel;

namespace streams::app {
class LocalStore;
}

namespace streams::ui {

// Asks where to save: the parent, the dialog's caption, a suggested path, a file filter; an empty answer
// means the user cancelled.
using SaveFileChooser = std::function<QString(QWidget *parent, const QString &caption,
                                              const QString &suggested, const QString &filter)>;
SaveFileChooser fileDialogChooser(); // QFileDialog::getSaveFileName

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    enum class Period { Last24Hours, Last7Days, Last30Days, Everything, Custom };
    // `kinds`: what the feed's filter shows, in words ("Follows, Cheers"); empty for every kind.
    ExportDialog(const QString &streamerName, const QString &kinds, QWidget *parent = nullptr);

    void setPeriod(Period period);
    // A period of its own (local times in the fields); sets Period::Custom.
    void setCustomPeriod(const QDateTime &from, const QDateTime &to);
    void setFormat(app::ExportFormat format);
    // The chosen period, both ends included, as of now for the presets.
    QDateTime from() const;
    QDateTime to() const;
    app::ExportFormat format() const;

private:
    void updateFields();

    QComboBox *m_period;
    QComboBox *m_format;
    QDateTimeEdit *m_from;
    QDateTimeEdit *m_to;
};

// One export from start to end; deletes itself when done (finished() says how it went).
class FeedExportFlow : public QObject {
    Q_OBJECT
public:
    struct Context {
        app::LocalStore &store;
        QString broadcasterId;
        QString streamerLogin;
        QString streamerName;
        QStringList kinds;    // the filter's kinds; empty for every kind
        QString kindsInWords; // the same for people
        SaveFileChooser chooser;
    };
    // Exports with more events than this show a progress dialog.
    static constexpr qint64 kProgressFrom = 1000;

    FeedExportFlow(Context context, QWidget *window);
    void start();

    ExportDialog *dialog() const { return m_dialog; }
    QProgressDialog *progressDialog() const { return m_progress; }
    app::FeedExport *exporter() const { return m_export; }

    enum class Outcome { Exported, Cancelled, Failed };
    Q_ENUM(Outcome)

Q_SIGNALS:
    // What to tell the user (empty when they cancelled before anything was written).
    void finished(streams::ui::FeedExportFlow::Outcome outcome, const QString &message);

private:
    void chooseFile();
    void run(const QString &path, const app::LocalStore::EventQuery &query, app::ExportFormat format);
    void done(Outcome outcome, const QString &message);

    Context m_ctx;
    QWidget *m_window;
    QPointer<ExportDialog> m_dialog;
    QPointer<QProgressDialog> m_progress;
    app::FeedExport *m_export = nullptr;
    bool m_cancelled = false;
};

} // namespace streams::ui
