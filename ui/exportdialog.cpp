#include "exportdialog.h"

#include "store/localstore.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QProgressDialog>
#include <QPushButton>
#include <QStandardPaths>
#include <QTimeZone>
#include <QVBoxLayout>

namespace streams::ui {

SaveFileChooser fileDialogChooser() {
    return [](QWidget *parent, const QString &caption, const QString &suggested, const QString &filter) {
        return QFileDialog::getSaveFileName(parent, caption, suggested, filter);
    };
}

ExportDialog::ExportDialog(const QString &streamerName, const QString &kinds, QWidget *parent)
    : QDialog(parent) {
    setWindowTitle(tr("Export events"));
    auto *layout = new QVBoxLayout(this);
    auto *intro =
        new QLabel(kinds.isEmpty()
                       ? tr("Every event of %1 in the period, oldest first.").arg(streamerName)
                       : tr("The events of %1 in the period that the feed's filter shows (%2), oldest first.")
                             .arg(streamerName, kinds),
                   this);
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::PlainText);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_period = new QComboBox(this);
    m_period->addItem(tr("Last 24 hours"), int(Period::Last24Hours));
    m_period->addItem(tr("Last 7 days"), int(Period::Last7Days));
    m_period->addItem(tr("Last 30 days"), int(Period::Last30Days));
    m_period->addItem(tr("Everything"), int(Period::Everything));
    m_period->addItem(tr("Custom period"), int(Period::Custom));
    m_period->setCurrentIndex(1);
    form->addRow(tr("&Period:"), m_period);
    const QDateTime now = QDateTime::currentDateTime();
    m_from = new QDateTimeEdit(now.addDays(-7), this);
    m_to = new QDateTimeEdit(now, this);
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(QLocale().dateTimeFormat(QLocale::ShortFormat));
    }
    form->addRow(tr("&From:"), m_from);
    form->addRow(tr("&To:"), m_to);
    m_format = new QComboBox(this);
    m_format->addItem(tr("CSV (spreadsheets)"), int(app::ExportFormat::Csv));
    m_format->addItem(tr("JSON"), int(app::ExportFormat::Json));
    form->addRow(tr("F&ormat:"), m_format);
    layout->addLayout(form);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Export…"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_period, &QComboBox::currentIndexChanged, this, &ExportDialog::updateFields);
    updateFields();
}

void ExportDialog::updateFields() {
    const bool custom = m_period->currentData().toInt() == int(Period::Custom);
    m_from->setEnabled(custom);
    m_to->setEnabled(custom);
}

void ExportDialog::setPeriod(Period period) {
    m_period->setCurrentIndex(m_period->findData(int(period)));
}

void ExportDialog::setCustomPeriod(const QDateTime &from, const QDateTime &to) {
    m_from->setDateTime(from.toLocalTime());
    m_to->setDateTime(to.toLocalTime());
    setPeriod(Period::Custom);
}

void ExportDialog::setFormat(app::ExportFormat format) {
    m_format->setCurrentIndex(m_format->findData(int(format)));
}

QDateTime ExportDialog::from() const {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    switch (Period(m_period->currentData().toInt())) {
    case Period::Last24Hours:
        return now.addDays(-1);
    case Period::Last7Days:
        return now.addDays(-7);
    case Period::Last30Days:
        return now.addDays(-30);
    case Period::Everything:
        return QDateTime::fromMSecsSinceEpoch(0, QTimeZone::utc());
    case Period::Custom:
        break;
    }
    return m_from->dateTime().toUTC();
}

QDateTime ExportDialog::to() const {
    if (Period(m_period->currentData().toInt()) != Period::Custom)
        return QDateTime::currentDateTimeUtc().addSecs(60); // what arrives while the dialog closes, too
    // The field shows minutes: the whole last minute is in.
    return m_to->dateTime().toUTC().addMSecs(59999);
}

app::ExportFormat ExportDialog::format() const {
    return app::ExportFormat(m_format->currentData().toInt());
}

FeedExportFlow::FeedExportFlow(Context context, QWidget *window)
    : QObject(window)
    , m_ctx(std::move(context))
    , m_window(window) {}

void FeedExportFlow::start() {
    m_dialog = new ExportDialog(m_ctx.streamerName, m_ctx.kindsInWords, m_window);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, &FeedExportFlow::chooseFile);
    connect(m_dialog, &QDialog::rejected, this, [this] { done(Outcome::Cancelled, {}); });
    m_dialog->open();
}

void FeedExportFlow::chooseFile() {
    const app::LocalStore::EventQuery query{m_ctx.broadcasterId, m_dialog->from(), m_dialog->to(),
                                            m_ctx.kinds};
    const app::ExportFormat format = m_dialog->format();
    const bool json = format == app::ExportFormat::Json;
    const QString suffix = json ? QStringLiteral("json") : QStringLiteral("csv");
    const QString suggested =
        QDir(QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation))
            .filePath(QStringLiteral("%1-events-%2.%3")
                          .arg(m_ctx.streamerLogin,
                               QDate::currentDate().toString(QStringLiteral("yyyy-MM-dd")), suffix));
    QString path = m_ctx.chooser(m_window, tr("Export events"), suggested,
                                 json ? tr("JSON files (*.json)") : tr("CSV files (*.csv)"));
    if (path.isEmpty()) {
        done(Outcome::Cancelled, {});
        return;
    }
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    // What the feed shows may still be on its way to the store: the export starts behind it.
    m_ctx.store.write({}, std::nullopt, this, [this, path, query, format](const QList<app::FeedEvent> &) {
        run(path, query, format);
    });
}

void FeedExportFlow::run(const QString &path, const app::LocalStore::EventQuery &query,
                         app::ExportFormat format) {
    m_export = new app::FeedExport(this);
    connect(m_export, &app::FeedExport::started, this, [this](qint64 total) {
        if (total <= kProgressFrom)
            return;
        m_progress =
            new QProgressDialog(tr("Exporting %n events…", nullptr, int(qMin<qint64>(total, INT_MAX))),
                                tr("Cancel"), 0, int(qMin<qint64>(total, INT_MAX)), m_window);
        m_progress->setWindowTitle(tr("Export events"));
        m_progress->setWindowModality(Qt::WindowModal);
        m_progress->setMinimumDuration(0);
        m_progress->setAutoClose(false);
        m_progress->setAutoReset(false);
        connect(m_progress, &QProgressDialog::canceled, this, [this] {
            m_cancelled = true;
            m_export->cancel();
        });
        m_progress->show();
    });
    connect(m_export, &app::FeedExport::progress, this, [this](qint64 written, qint64) {
        if (m_progress)
            m_progress->setValue(int(qMin<qint64>(written, INT_MAX)));
    });
    connect(m_export, &app::FeedExport::finished, this,
            [this, path](bool ok, qint64 written, const QString &error) {
                if (m_progress) {
                    m_progress->close();
                    m_progress->deleteLater();
                }
                if (ok)
                    done(Outcome::Exported,
                         tr("Exported %n events to %1.", nullptr, int(qMin<qint64>(written, INT_MAX)))
                             .arg(QDir::toNativeSeparators(path)));
                else if (m_cancelled)
                    done(Outcome::Cancelled, tr("The export was cancelled; no file was written."));
                else
                    done(Outcome::Failed,
                         tr("The events could not be exported to %1: %2. Choose another file or folder "
                            "and try again.")
                             .arg(QDir::toNativeSeparators(path), error));
            });
    m_export->start({m_ctx.store.path(), query, format, path});
}

void FeedExportFlow::done(Outcome outcome, const QString &message) {
    Q_EMIT finished(outcome, message);
    deleteLater();
}

} // namespace streams::ui
