#include "hub/hub.h"

#include <algorithm>

namespace streams::relay {

Hub::Hub(Gatekeeper &gatekeeper, Metrics &metrics, QString databasePath, QString epoch, int threads,
         int maxConnectionsPerIp, HubOptions options)
    : m_maxPerIp(maxConnectionsPerIp) {
    for (int i = 0; i < qMax(1, threads); ++i) {
        auto thread = std::make_unique<QThread>();
        thread->setObjectName(QStringLiteral("hub-%1").arg(i));
        auto *worker = new HubWorker(gatekeeper, metrics, databasePath, epoch, options,
                                     [this](const QString &peer) { released(peer); });
        worker->moveToThread(thread.get());
        QObject::connect(thread.get(), &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        QMetaObject::invokeMethod(worker, &HubWorker::initialize, Qt::BlockingQueuedConnection);
        m_workers.push_back(worker);
        m_threads.push_back(std::move(thread));
    }
}

Hub::~Hub() {
    shutdown();
}

bool Hub::admit(const QString &peer) {
    QMutexLocker lock(&m_peersMutex);
    int &count = m_peers[peer];
    if (count >= m_maxPerIp)
        return false;
    ++count;
    return true;
}

void Hub::released(const QString &peer) {
    QMutexLocker lock(&m_peersMutex);
    auto it = m_peers.find(peer);
    if (it != m_peers.end() && --*it <= 0)
        m_peers.erase(it);
}

void Hub::adopt(qintptr descriptor, const QString &peer) {
    HubWorker *worker = m_workers[m_next.fetch_add(1) % m_workers.size()];
    QMetaObject::invokeMethod(
        worker, [worker, descriptor, peer] { worker->adopt(descriptor, peer); }, Qt::QueuedConnection);
}

void Hub::publish(std::vector<StoredEventPtr> events) {
    if (events.empty())
        return;
    auto shared = std::make_shared<const std::vector<StoredEventPtr>>(std::move(events));
    for (HubWorker *worker : m_workers) {
        const bool wanted = std::any_of(shared->begin(), shared->end(), [worker](const StoredEventPtr &e) {
            return worker->wants(e->broadcasterId);
        });
        if (wanted)
            QMetaObject::invokeMethod(
                worker, [worker, shared] { worker->deliver(shared); }, Qt::QueuedConnection);
    }
}

void Hub::revoke(const QString &broadcasterId, const QString &moderatorId, const QString &type,
                 const QString &reason) {
    for (HubWorker *worker : m_workers)
        QMetaObject::invokeMethod(
            worker, [=] { worker->revoke(broadcasterId, moderatorId, type, reason); }, Qt::QueuedConnection);
}

void Hub::shutdown() {
    if (m_threads.empty())
        return;
    for (HubWorker *worker : m_workers)
        QMetaObject::invokeMethod(worker, &HubWorker::closeAll, Qt::BlockingQueuedConnection);
    // Give the close frames a moment on the wire before the threads stop.
    QThread::msleep(200);
    for (auto &thread : m_threads) {
        thread->quit();
        thread->wait(3000);
    }
    m_threads.clear();
    m_workers.clear();
}

} // namespace streams::relay
