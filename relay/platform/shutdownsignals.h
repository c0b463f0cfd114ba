#pragma once

#include <QObject>

class QSocketNotifier;

namespace streams {

// Turns SIGTERM and SIGINT into a Qt signal delivered on the event loop (self-pipe), so a server
// can stop accepting, finish in-flight work and exit cleanly. One instance per process.
class ShutdownSignals : public QObject {
    Q_OBJECT
public:
    explicit ShutdownSignals(QObject *parent = nullptr);
    ~ShutdownSignals() override;

Q_SIGNALS:
    void shutdownRequested(int signalNumber);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace streams
