#pragma once

// The relay's I/O threads: one Asio io_context (epoll) per thread. Each socket belongs to one context for
// its whole life, so its handlers never run concurrently and need no locks.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace streams::relay::net {

namespace asio = boost::asio;

class IoPool {
public:
    explicit IoPool(int threads, std::string name = "io");
    ~IoPool();
    IoPool(const IoPool &) = delete;
    IoPool &operator=(const IoPool &) = delete;

    std::size_t size() const { return m_contexts.size(); }
    asio::io_context &context(std::size_t index) { return *m_contexts[index]; }
    // Round-robin, for new connections.
    std::size_t next() { return m_next.fetch_add(1, std::memory_order_relaxed) % m_contexts.size(); }

    void start();
    // Stops every loop and joins its thread; handlers still queued are destroyed with the contexts.
    void stop();

private:
    using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
    std::string m_name;
    std::vector<std::unique_ptr<asio::io_context>> m_contexts;
    std::vector<Guard> m_guards;
    std::vector<std::thread> m_threads;
    std::atomic<std::size_t> m_next{0};
};

} // namespace streams::relay::net
