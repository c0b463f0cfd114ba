#pragma once

// Desktop notifications (through the tray) for new follows, cheers, subs, gifts and raids: only events that
// happened after the app started, never during "do not disturb", and a storm becomes one summary.
// A replay (the user asks for an event's alert again, to thank someone on stream) is shown at once.

#include <QDateTime>
#include <QObject>
#include <QTimer>

class QSystemTrayIcon;
class QMenu;

namespace streams::app {
struct FeedEvent;
class FeedModel;
class Settings;
} // namespace streams::app

namespace streams::ui {

class Notifier : public QObject {
    Q_OBJECT
public:
    Notifier(app::FeedModel &model, app::Settings &settings, QObject *parent = nullptr);
    ~Notifier() override;
    void setTrayMenu(QMenu *menu);
    void setDoNotDisturb(bool on);
    bool doNotDisturb() const;
    bool trayAvailable() const;
    // The event's notification again, as when it arrived: asked for, so neither its age nor "do not
    // disturb" holds it back.
    void replay(const app::FeedEvent &event);

Q_SIGNALS:
    // Every notification, whether or not a tray can show it (tests, and the window title in the future).
    void notified(const QString &title, const QString &text);
    void activated();

private:
    void collect(int first, int last);
    void show();
    void notify(const QStringList &events);

    app::FeedModel &m_model;
    app::Settings &m_settings;
    QDateTime m_startedAt;
    QSystemTrayIcon *m_tray = nullptr;
    QStringList m_pending;
    QTimer m_batch;
};

} // namespace streams::ui
