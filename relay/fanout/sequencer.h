#pragma once

// With several relays: puts each broadcaster's events from this relay's commits and from the other relays
// (Redis) into one stream, in seq order, with no gap and no duplicate, before the hub delivers them. A gap
// (a message Redis lost, a Redis restart) is filled from the shared log: seq is issued inside the committing
// transaction with the broadcaster's counter row locked, so once seq N is visible every seq below it is too.
// Runs on a thread of its own, which also holds the log reader.

#include "storage/eventstore.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace streams::relay {

class Sequencer {
public:
    using Deliver = std::function<void(const std::vector<StoredEventPtr> &)>;          // Hub::publish
    using Watch = std::function<void(const std::string &broadcasterId, bool watched)>; // RedisBus
    static std::unique_ptr<Sequencer> start(const StorageTarget &log, Deliver deliver, Watch watch,
                                            QString *error);
    ~Sequencer(); // NOLINT(bugprone-exception-escape): a failed join ends the program, as it should

    // Any thread.
    void local(const std::vector<StoredEventPtr> &events);   // just committed by this relay
    void remote(StoredEventPtr event);                       // from another relay
    void watched(const std::string &broadcasterId, bool on); // this relay's first client came / last left
    void listening(const std::string &broadcasterId);        // Redis now sends this broadcaster's events
    void resync();                                           // Redis came back: read what it may have lost

    struct Stats {
        qint64 gapsFilled = 0; // events read from the log because Redis did not bring them
        qint64 duplicates = 0; // events that arrived twice (this relay's own, echoed by Redis)
    };
    Stats stats() const;

private:
    struct Track {
        qint64 last = -1; // delivered up to here; -1: not known yet (the log is being asked)
        std::map<qint64, StoredEventPtr> pending;
    };
    Sequencer() = default;
    void accept(const StoredEventPtr &e, std::vector<StoredEventPtr> &out);
    // Delivers what follows `last` from pending, filling gaps from the log.
    void advance(const std::string &broadcasterId, Track &t, std::vector<StoredEventPtr> &out);
    // Reads the log after `last` (up to `before`, exclusive; 0: to the end) into the stream.
    void catchUp(const std::string &broadcasterId, Track &t, qint64 before, std::vector<StoredEventPtr> &out);
    void sweep(); // now and then: a lost message with nothing after it is found too

    boost::asio::io_context m_context{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> m_guard{
        m_context.get_executor()};
    std::unique_ptr<boost::asio::steady_timer> m_timer;
    std::thread m_thread;
    std::unique_ptr<EventReader> m_reader;
    Deliver m_deliver;
    Watch m_watch;
    std::unordered_map<std::string, Track> m_tracks;
    std::atomic<qint64> m_gapsFilled{0};
    std::atomic<qint64> m_duplicates{0};
};

} // namespace streams::relay
