#include "notifier.h"

#include "feed/feedmodel.h"
#include "store/settings.h"

#include <QApplication>
#include <QIcon>
#include <QSystemTrayIcon>

#include <utility>

namespace streams::ui {

Notifier::Notifier(app::FeedModel &model, app::Settings &settings, QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_settings(settings)
    , m_startedAt(QDateTime::currentDateTimeUtc().addSecs(-2)) {
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(QIcon(QStringLiteral(":/icons/app.svg")), this);
        m_tray->setToolTip(QApplication::applicationDisplayName());
        connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
            if (reason == QSystemTrayIcon::Trigger)
                Q_EMIT activated();
        });
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, &Notifier::activated);
        m_tray->show();
    }
    m_batch.setSingleShot(true);
    m_batch.setInterval(400); // the rows of one burst become one notification
    connect(&m_batch, &QTimer::timeout, this, &Notifier::show);
    connect(&m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &, int first, int last) { collect(first, last); });
}

Notifier::~Notifier() = default;

void Notifier::setTrayMenu(QMenu *menu) {
    if (m_tray)
        m_tray->setContextMenu(menu);
}

void Notifier::setDoNotDisturb(bool on) {
    m_settings.setDoNotDisturb(on);
    if (on)
        m_pending.clear();
}

bool Notifier::doNotDisturb() const {
    return m_settings.doNotDisturb();
}

bool Notifier::trayAvailable() const {
    return m_tray != nullptr;
}

void Notifier::collect(int first, int last) {
    if (!m_settings.notificationsEnabled() || m_settings.doNotDisturb())
        return;
    for (int row = first; row <= last; ++row) {
        const app::FeedEvent &e = m_model.at(row);
        if (e.occurredAt < m_startedAt || e.kind == u"online" || e.kind == u"offline")
            continue; // history and stream state are not news
        m_pending.append(app::describeEvent(e));
    }
    if (!m_pending.isEmpty() && !m_batch.isActive())
        m_batch.start();
}

void Notifier::show() {
    if (m_pending.isEmpty() || m_settings.doNotDisturb())
        return;
    notify(std::exchange(m_pending, {}));
}

void Notifier::replay(const app::FeedEvent &event) {
    notify({app::describeEvent(event)});
}

void Notifier::notify(const QStringList &events) {
    QString title;
    QString text;
    if (events.size() == 1) {
        title = tr("New event");
        text = events.first();
    } else {
        title = tr("%n new events", nullptr, int(events.size()));
        text = events.mid(0, 3).join(QLatin1Char('\n'));
        if (events.size() > 3)
            text += QLatin1Char('\n') + tr("and %n more", nullptr, int(events.size() - 3));
    }
    if (m_tray)
        m_tray->showMessage(title, text, QIcon(QStringLiteral(":/icons/app.svg")), 5000);
    Q_EMIT notified(title, text);
}

} // namespace streams::ui
