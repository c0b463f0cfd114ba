#pragma once

// One pass of relay-bench over every figure, against a relay process of its own: memory per idle client,
// fan-out, intake (stored, acknowledged and delivered) with the relay's CPU at each number of idle clients,
// acknowledgement latency, delivery latency. Each figure goes to Figures as it is measured.

#include "benchsupport.h"
#include "deliveryledger.h"
#include "webhookload.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <map>
#include <memory>
#include <vector>

namespace streams::test {
class ServerProcess;
}

namespace streams::bench {

class IdleClients;
class WsFleet;

// twitch-sim's users are broadcasters kFirstBroadcaster, kFirstBroadcaster + 1, ...: the first is the
// fan-out room, the second takes the intake, all take deliveries.
constexpr int kFirstBroadcaster = 2000;

struct RunOptions {
    bool quick = false;
    int clients = 10000;         // idle clients for memory and fan-out
    std::vector<int> idleLevels; // idle clients during intake, ascending
    int seconds = 5;
    int subscribers = 1;
    int fanoutRuns = 5;
    bool fanoutResets = false; // half of the idle clients reset during each fan-out
    int broadcasters = 100;
    QString only; // one phase, or all
    QString durability;
    QString relayPath;
    QStringList relayEnv; // NAME=VALUE
    bool wants(const char *phase) const { return only.isEmpty() || only == QLatin1String(phase); }
};

class RelayRun {
public:
    // tokens[i]: a user token of broadcaster kFirstBroadcaster + i; dataDir: the relay's, fresh.
    RelayRun(const RunOptions &options, test::ServerProcess &sim, const std::vector<QString> &tokens,
             const QString &dataDir, Figures &figures);
    ~RelayRun();
    RelayRun(const RelayRun &) = delete;
    RelayRun &operator=(const RelayRun &) = delete;

    // False when the bench could not measure (the relay did not start, nothing was delivered...).
    bool exec();
    // Copies of acknowledged webhooks that never reached a client subscribed to them.
    qint64 undelivered() const { return m_undelivered; }
    // --fanout-resets: fan-out events that never reached a client that stayed connected.
    qint64 missedAfterResets() const { return m_missedAfterResets; }
    // The relay crashed, did not exit cleanly, or its stderr has a sanitizer's report.
    bool relayFaulted() const { return m_relayFaulted; }

private:
    bool startRelay();
    bool phases();
    // Stops the relay and looks at how it exited and at its stderr.
    void stopRelay();
    bool memory();
    bool fanout();
    bool fanoutWithResets();
    bool intake(int idle);
    bool ackLatency();
    bool delivery();
    WebhookLoad::Source prepared(qint64 count, WebhookKind kind,
                                 std::function<QString(quint64)> broadcasterFor);
    // Follows for the intake broadcaster, `count` of them signed ahead.
    WebhookLoad::Source follows(qint64 count);
    // The intake subscribers record every bench webhook they receive in m_ledger.
    void watchSubscribers();
    void noteUndelivered(const DeliveryLedger::Tally &t, qint64 acknowledged, const char *phase);

    const RunOptions &m_o;
    test::ServerProcess &m_sim;
    const std::vector<QString> &m_tokens;
    QString m_dataDir;
    Figures &m_figures;
    std::unique_ptr<test::ServerProcess> m_relay;
    qint64 m_pid = 0;
    std::unique_ptr<WsFleet> m_subscribers;
    std::unique_ptr<IdleClients> m_idle;
    DeliveryLedger m_ledger;
    std::atomic<quint64> m_unique{0};
    std::map<int, double> m_cpuPerWebhook; // idle clients -> relay µs per delivered webhook
    qint64 m_undelivered = 0;
    qint64 m_missedAfterResets = 0;
    bool m_relayFaulted = false;
};

} // namespace streams::bench
