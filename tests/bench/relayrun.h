#pragma once

// One pass of relay-bench over every figure, against relay processes of its own (one, or --relays N on one
// PostgreSQL database and one Redis): memory per idle client, fan-out, intake (stored, acknowledged and
// delivered) with the relays' CPU at each number of idle clients (and PostgreSQL's and Redis's, their commits
// and commands), acknowledgement latency, delivery latency. Clients and webhook connections are spread over
// the relays round-robin. Each figure goes to Figures as it is measured.

#include "benchsupport.h"
#include "deliveryledger.h"
#include "webhookload.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <atomic>
#include <map>
#include <memory>
#include <vector>

namespace streams::test {
class ServerProcess;
}

namespace streams::bench {

class IdleClients;
class SharedEngines;
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
    int fanoutRuns = 15;
    bool fanoutResets = false; // half of the idle clients reset during each fan-out
    int broadcasters = 100;
    QString only; // one phase, or all
    QString durability;
    QString relayPath;
    QStringList relayEnv;  // NAME=VALUE
    int relays = 1;        // relay processes, all on one database and Redis when more than one
    bool postgres = false; // the event log on the bench's PostgreSQL, fan-out over its Redis
    bool wants(const char *phase) const { return only.isEmpty() || only == QLatin1String(phase); }
};

class RelayRun {
public:
    // tokens[i]: a user token of broadcaster kFirstBroadcaster + i; dataDir: the relay's, fresh (several
    // relays: dataDir, dataDir-1, dataDir-2...); engines and database: with options.postgres, the servers
    // and the fresh database the relays share (engines is null otherwise).
    RelayRun(const RunOptions &options, test::ServerProcess &sim, const std::vector<QString> &tokens,
             const QString &dataDir, Figures &figures, SharedEngines *engines = nullptr,
             const QString &database = {});
    ~RelayRun();
    RelayRun(const RelayRun &) = delete;
    RelayRun &operator=(const RelayRun &) = delete;

    // False when the bench could not measure (the relay did not start, nothing was delivered...).
    bool exec();
    // Copies of acknowledged webhooks that never reached a client subscribed to them.
    qint64 undelivered() const { return m_undelivered; }
    // --fanout-resets: fan-out events that never reached a client that stayed connected.
    qint64 missedAfterResets() const { return m_missedAfterResets; }
    // Events a client received twice, or with a seq not above its previous one.
    qint64 disordered() const { return m_disordered; }
    // A relay crashed, did not exit cleanly, or its stderr has a sanitizer's report.
    bool relayFaulted() const { return m_relayFaulted; }

private:
    bool startRelay();
    bool phases();
    // Stops the relays and looks at how they exited and at their stderr.
    void stopRelay();
    // Summed over every relay process.
    qint64 relaysCpuUs() const;
    qint64 relaysKernelCpuUs() const; // system time only
    qint64 relaysResidentKiB() const;
    QMap<QString, qint64> relaysThreadCpuUs() const;
    bool several() const { return m_o.relays > 1; }
    // "" with one relay, " over N relays" with several: appended to figure names.
    QString overRelays() const;
    // With several relays: prints how many copies reached clients of the relay that stored each event and of
    // the others. relayOf(client) gives the relay of a client of the phase's fleet.
    void printSplit(const WebhookLoad::Result &r, const std::function<std::vector<int>(quint64)> &recipients,
                    const std::function<int(int)> &relayOf, const char *phase) const;
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
    // Records a client's event frame in m_ledger (its webhook number, seq and time).
    void record(int client, QByteArrayView frame, qint64 at);
    void noteUndelivered(const DeliveryLedger::Tally &t, qint64 acknowledged, const char *phase);
    // With engines: PostgreSQL's and Redis's CPU and counters, before and after a phase.
    struct EngineSample {
        qint64 postgresCpuUs = 0;
        qint64 redisCpuUs = 0;
        qint64 redisCommands = 0;
        qint64 redisPublishes = 0;
    };
    EngineSample engineSample() const;
    // CPU spent on the machine by the relays, PostgreSQL + Redis, twitch-sim, this process and all of it.
    struct Shares {
        qint64 atNs = 0, machineUs = 0, relaysUs = 0, enginesUs = 0, simUs = 0, ownUs = 0;
    };
    Shares sharesNow() const;
    // Prints each one's share of the machine's cores since `since`: whether the machine was quiet.
    void printShares(const Shares &since) const;

    const RunOptions &m_o;
    test::ServerProcess &m_sim;
    const std::vector<QString> &m_tokens;
    QString m_dataDir;
    Figures &m_figures;
    SharedEngines *m_engines = nullptr;
    QString m_database;
    std::vector<std::unique_ptr<test::ServerProcess>> m_relays;
    std::vector<qint64> m_pids;
    std::vector<QUrl> m_urls;
    std::unique_ptr<WsFleet> m_subscribers;
    std::unique_ptr<IdleClients> m_idle;
    DeliveryLedger m_ledger;
    std::atomic<quint64> m_unique{0};
    std::map<int, double> m_cpuPerWebhook; // idle clients -> relay µs per delivered webhook
    qint64 m_undelivered = 0;
    qint64 m_missedAfterResets = 0;
    qint64 m_disordered = 0;
    bool m_relayFaulted = false;
};

} // namespace streams::bench
