// fanout-floor: what one message to N loopback TCP clients costs this machine's kernel, with no relay.
//
// N connected pairs on 127.0.0.1; S sender threads each write one M-byte message to their share of the
// server sockets with one send() apiece (what the relay does per client in a fan-out, minus everything
// else: no HTTP, no storage, no WebSocket framing); one thread reads every client socket through epoll,
// as relay-bench's fleet does. It prints the time from the start until the last client has its message:
// the floor under relay-bench's "fan-out: one event to N clients" on the same machine.
//
//   fanout-floor [--clients N] [--threads S] [--bytes M] [--runs R]

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    int clients = 10000;
    int threads = 2;
    int bytes = 600; // about an online event's frame
    int runs = 9;
};

bool parse(int argc, char **argv, Options &o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](int &out) {
            if (i + 1 >= argc)
                return false;
            out = std::atoi(argv[++i]);
            return out > 0;
        };
        if (!((arg == "--clients" && value(o.clients)) || (arg == "--threads" && value(o.threads)) ||
              (arg == "--bytes" && value(o.bytes)) || (arg == "--runs" && value(o.runs)))) {
            std::fprintf(stderr, "usage: fanout-floor [--clients N] [--threads S] [--bytes M] [--runs R]\n");
            return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char **argv) {
    Options o;
    if (!parse(argc, argv, o))
        return 2;
    // Two descriptors a client, and a few more: as many clients as the limit allows.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    const int fit = int((limit.rlim_cur - 64) / 2);
    if (o.clients > fit) {
        std::printf("fanout-floor: %d clients do not fit the descriptor limit (%llu); measuring %d\n",
                    o.clients, static_cast<unsigned long long>(limit.rlim_cur), fit);
        o.clients = fit;
    }

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0 ||
        ::listen(listener, 4096) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        std::fprintf(stderr, "fanout-floor: cannot listen on 127.0.0.1: %s\n", std::strerror(errno));
        return 1;
    }
    std::vector<int> servers(std::size_t(o.clients)), clients(std::size_t(o.clients));
    const int one = 1;
    for (int i = 0; i < o.clients; ++i) {
        clients[std::size_t(i)] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (clients[std::size_t(i)] < 0 ||
            ::connect(clients[std::size_t(i)], reinterpret_cast<sockaddr *>(&address), sizeof(address)) !=
                0 ||
            (servers[std::size_t(i)] = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) < 0) {
            std::fprintf(stderr, "fanout-floor: connection %d: %s\n", i, std::strerror(errno));
            return 1;
        }
        ::setsockopt(servers[std::size_t(i)], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::fcntl(clients[std::size_t(i)], F_SETFL, ::fcntl(clients[std::size_t(i)], F_GETFL) | O_NONBLOCK);
    }
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < o.clients; ++i) {
        epoll_event event{};
        event.events = EPOLLIN | EPOLLET;
        event.data.u32 = std::uint32_t(i);
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, clients[std::size_t(i)], &event);
    }
    const std::string message(std::size_t(o.bytes), 'x');

    std::printf("fanout-floor: %d loopback clients, %d sender thread(s), %d bytes each, %u cores\n",
                o.clients, o.threads, o.bytes, std::thread::hardware_concurrency());
    std::vector<double> lastMs;
    std::vector<char> buffer(256 * 1024);
    for (int run = 0; run < o.runs; ++run) {
        std::atomic<bool> go{false};
        Clock::time_point start;
        std::vector<std::thread> senders;
        for (int k = 0; k < o.threads; ++k)
            senders.emplace_back([&, k] {
                while (!go.load(std::memory_order_acquire))
                    std::this_thread::yield();
                for (int i = k; i < o.clients; i += o.threads)
                    ::send(servers[std::size_t(i)], message.data(), message.size(),
                           MSG_NOSIGNAL | MSG_DONTWAIT);
            });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        start = Clock::now();
        go.store(true, std::memory_order_release);
        long got = 0;
        Clock::time_point last = start;
        epoll_event events[1024];
        while (got < long(o.clients) * o.bytes) {
            const int n = ::epoll_wait(epoll, events, 1024, 5000);
            if (n <= 0) {
                std::fprintf(stderr, "fanout-floor: messages missing after 5 s\n");
                return 1;
            }
            for (int j = 0; j < n; ++j)
                for (;;) {
                    const ssize_t r = ::recv(clients[events[j].data.u32], buffer.data(), buffer.size(), 0);
                    if (r <= 0)
                        break;
                    got += r;
                    last = Clock::now();
                }
        }
        for (std::thread &t : senders)
            t.join();
        lastMs.push_back(std::chrono::duration<double, std::milli>(last - start).count());
        std::printf("  run %d: the last client had it after %.1f ms\n", run + 1, lastMs.back());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    std::sort(lastMs.begin(), lastMs.end());
    std::printf(
        "one message to %d loopback clients, last receives: median %.1f ms (%.1f - %.1f ms over %d runs)\n",
        o.clients, lastMs[lastMs.size() / 2], lastMs.front(), lastMs.back(), o.runs);
    return 0;
}
