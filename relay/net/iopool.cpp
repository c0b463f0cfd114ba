#include "net/iopool.h"

#include <QLoggingCategory>

#include <exception>

#ifdef __linux__
#include <pthread.h>
#endif

Q_LOGGING_CATEGORY(lcIo, "streams.relay.io")

namespace streams::relay::net {

IoPool::IoPool(int threads, std::string name)
    : m_name(std::move(name)) {
    for (int i = 0; i < std::max(1, threads); ++i) {
        // Hint 1: each context is run by exactly one thread, so Asio can skip its internal locking.
        m_contexts.push_back(std::make_unique<asio::io_context>(1));
        m_guards.emplace_back(m_contexts.back()->get_executor());
    }
}

IoPool::~IoPool() {
    stop();
}

void IoPool::start() {
    for (std::size_t i = 0; i < m_contexts.size(); ++i) {
        m_threads.emplace_back([this, i] {
#ifdef __linux__
            const std::string name = (m_name + "-" + std::to_string(i)).substr(0, 15);
            pthread_setname_np(pthread_self(), name.c_str());
#endif
            for (;;) {
                try {
                    m_contexts[i]->run();
                    return;
                } catch (const std::exception &e) {
                    // A handler threw: log it and keep serving the other connections of this thread.
                    qCCritical(lcIo) << "unexpected exception on an I/O thread:" << e.what();
                }
            }
        });
    }
}

void IoPool::stop() {
    for (Guard &guard : m_guards)
        guard.reset();
    for (auto &context : m_contexts)
        context->stop();
    for (std::thread &thread : m_threads)
        if (thread.joinable())
            thread.join();
    m_threads.clear();
}

} // namespace streams::relay::net
