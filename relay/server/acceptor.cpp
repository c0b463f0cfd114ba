#include "server/acceptor.h"

#include "hub/hub.h"

#include <QHostAddress>
#include <QLoggingCategory>
#include <QPointer>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTimer>

#ifdef Q_OS_WIN
#include <winsock2.h>
#include <ws2tcpip.h>
using ssize_t = int;
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcAcceptor, "streams.relay.http")

namespace streams::relay {
namespace {

void closeDescriptor(qintptr fd) {
#ifdef Q_OS_WIN
    ::closesocket(SOCKET(fd));
#else
    ::close(int(fd));
#endif
}

// A short answer written straight to a connection we will not keep.
void answerAndClose(qintptr fd, const QByteArray &statusLine, const QByteArray &body) {
    const QByteArray response =
        "HTTP/1.1 " + statusLine +
        "\r\nContent-Type: text/plain\r\nContent-Length: " + QByteArray::number(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
#ifdef Q_OS_WIN
    ::send(SOCKET(fd), response.constData(), int(response.size()), 0);
#else
    [[maybe_unused]] const ssize_t n =
        ::send(int(fd), response.constData(), size_t(response.size()), MSG_NOSIGNAL);
    ::shutdown(int(fd), SHUT_WR);
#endif
    closeDescriptor(fd);
}

QString peerOf(qintptr fd) {
    sockaddr_storage addr = {};
    socklen_t len = sizeof(addr);
    if (::getpeername(int(fd), reinterpret_cast<sockaddr *>(&addr), &len) != 0)
        return QStringLiteral("unknown");
    QHostAddress host(reinterpret_cast<sockaddr *>(&addr));
    bool isV4 = false;
    const quint32 v4 = host.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : host.toString();
}

// Watches an HTTP connection that Qt HTTP Server reads: body limit on every request, timeouts.
class HttpGuard : public QObject {
public:
    HttpGuard(QTcpSocket *socket, AcceptorLimits limits)
        : QObject(socket)
        , m_socket(socket)
        , m_limits(limits) {
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            qCDebug(lcAcceptor) << "closing idle or slow HTTP connection";
            m_socket->abort();
        });
        m_timer.start(m_limits.headTimeoutMs);
        // Connected before Qt HTTP Server's own slot, so it sees each chunk first.
        connect(socket, &QTcpSocket::readyRead, this, &HttpGuard::inspect);
    }
    void handled() { m_timer.start(m_limits.idleTimeoutMs); }

private:
    void inspect() {
        if (!m_timer.isActive() || m_timer.interval() == m_limits.idleTimeoutMs)
            m_timer.start(m_limits.headTimeoutMs);
        // Whatever the HTTP server has not consumed yet: a valid request never needs more than this.
        if (m_socket->bytesAvailable() > m_limits.maxHead + m_limits.maxBody) {
            reject("413 Payload Too Large", "request over 64 KiB\n");
            return;
        }
        // The HTTP server consumes whole requests, so the buffer starts at a request head: only its
        // header lines are looked at, never a body.
        const QByteArray data = m_socket->peek(m_socket->bytesAvailable());
        const qsizetype headEnd = data.indexOf("\r\n\r\n");
        const QByteArray head = (headEnd < 0 ? data : data.left(headEnd + 2)).toLower();
        if (headEnd < 0 && head.size() > m_limits.maxHead) {
            reject("431 Request Header Fields Too Large", "request head over 16 KiB\n");
            return;
        }
        for (const QByteArray &line : head.split('\n')) {
            if (line.startsWith("transfer-encoding:")) {
                reject("411 Length Required", "chunked bodies are not accepted; send Content-Length\n");
                return;
            }
            if (line.startsWith("content-length:") &&
                line.mid(15).trimmed().toLongLong() > m_limits.maxBody) {
                reject("413 Payload Too Large", "request body over 64 KiB\n");
                return;
            }
        }
    }
    void reject(const QByteArray &status, const QByteArray &body) {
        // Nothing more reaches the HTTP server; what the client still sends is read and dropped for a
        // moment so it sees the answer instead of a reset connection.
        disconnect(m_socket, &QTcpSocket::readyRead, nullptr, nullptr);
        m_socket->readAll();
        connect(m_socket, &QTcpSocket::readyRead, this, [this] { m_socket->readAll(); });
        m_socket->write("HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " +
                        QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        m_timer.disconnect();
        connect(&m_timer, &QTimer::timeout, m_socket, &QTcpSocket::disconnectFromHost);
        m_timer.start(2000);
    }

    QTcpSocket *m_socket;
    AcceptorLimits m_limits;
    QTimer m_timer;
};

// Waits, without reading, until a new connection's request head is complete.
class PendingConnection : public QObject {
public:
    PendingConnection(qintptr fd, const AcceptorLimits &limits,
                      std::function<void(qintptr, QByteArray)> ready, QObject *parent)
        : QObject(parent)
        , m_fd(fd)
        , m_limits(limits)
        , m_ready(std::move(ready))
        , m_notifier(fd, QSocketNotifier::Read, this) {
        connect(&m_notifier, &QSocketNotifier::activated, this, &PendingConnection::peek);
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] { finish(false); });
        m_timer.start(limits.headTimeoutMs);
    }

private:
    void peek() {
        QByteArray buffer(m_limits.maxHead, Qt::Uninitialized);
#ifdef Q_OS_WIN
        const int n = ::recv(SOCKET(m_fd), buffer.data(), int(buffer.size()), MSG_PEEK);
#else
        const ssize_t n = ::recv(int(m_fd), buffer.data(), size_t(buffer.size()), MSG_PEEK);
#endif
        if (n <= 0) {
            finish(false);
            return;
        }
        buffer.truncate(n);
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end >= 0) {
            buffer.truncate(end + 4);
            m_head = buffer;
            finish(true);
        } else if (n >= m_limits.maxHead) {
            m_notifier.setEnabled(false);
            answerAndClose(m_fd, "431 Request Header Fields Too Large", "request head over 16 KiB\n");
            m_fd = -1;
            deleteLater();
        }
    }
    void finish(bool complete) {
        m_notifier.setEnabled(false);
        m_timer.stop();
        if (complete)
            m_ready(m_fd, m_head);
        else
            closeDescriptor(m_fd);
        deleteLater();
    }

    qintptr m_fd;
    AcceptorLimits m_limits;
    std::function<void(qintptr, QByteArray)> m_ready;
    QSocketNotifier m_notifier;
    QTimer m_timer;
    QByteArray m_head;
};

} // namespace

std::optional<RequestHead> RequestHead::parse(const QByteArray &head) {
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1."))
        return std::nullopt;
    RequestHead r;
    r.method = requestLine[0];
    r.path = requestLine[1];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "upgrade" && value.toLower() == "websocket")
            r.upgradeWebSocket = true;
        else if (name == "content-length") {
            bool ok = false;
            r.contentLength = value.toLongLong(&ok);
            if (!ok || r.contentLength < 0)
                return std::nullopt;
        } else if (name == "transfer-encoding")
            r.chunked = true;
    }
    return r;
}

Acceptor::Acceptor(Hub &hub, AcceptorLimits limits, QObject *parent)
    : QTcpServer(parent)
    , m_hub(hub)
    , m_limits(limits) {
    setMaxPendingConnections(4096);
#if QT_VERSION >= QT_VERSION_CHECK(6, 3, 0)
    setListenBacklogSize(4096); // reconnect storms
#endif
}

void Acceptor::incomingConnection(qintptr descriptor) {
    if (!m_accepting) {
        answerAndClose(descriptor, "503 Service Unavailable", "relay is shutting down\n");
        return;
    }
    const QString peer = peerOf(descriptor);
    new PendingConnection(
        descriptor, m_limits, [this, peer](qintptr fd, QByteArray head) { dispatch(fd, head, peer); }, this);
}

void Acceptor::dispatch(qintptr fd, const QByteArray &head, const QString &peer) {
    const auto request = RequestHead::parse(head);
    if (!request) {
        answerAndClose(fd, "400 Bad Request", "malformed request\n");
        return;
    }
    if (request->upgradeWebSocket) {
        const QByteArray path = request->path.left(
            request->path.indexOf('?') < 0 ? request->path.size() : request->path.indexOf('?'));
        if (path != "/ws" || request->method != "GET") {
            answerAndClose(fd, "404 Not Found", "WebSocket clients connect to /ws\n");
            return;
        }
        if (!m_hub.admit(peer)) {
            answerAndClose(fd, "429 Too Many Requests", "too many connections from this address\n");
            return;
        }
        m_hub.adopt(fd, peer);
        return;
    }
    handToHttp(fd);
}

void Acceptor::handToHttp(qintptr fd) {
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(fd)) {
        delete socket;
        closeDescriptor(fd);
        return;
    }
    auto *guard = new HttpGuard(socket, m_limits);
    guard->setObjectName(QStringLiteral("streams_http_guard"));
    const quint16 peerPort = socket->peerPort();
    m_http.insert(peerPort, socket);
    connect(socket, &QObject::destroyed, this, [this, peerPort, socket] { m_http.remove(peerPort, socket); });
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    // From 6.5 on, Qt HTTP Server deletes a connection itself once it is closed and nothing is pending.
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
#endif
    addPendingConnection(socket);
    Q_EMIT newConnection();
}

QTcpSocket *Acceptor::httpConnection(const QHostAddress &peer, quint16 port) const {
    // Tolerant: an IPv4 peer may be told as ::ffff:a.b.c.d on a dual-stack listener.
    for (auto it = m_http.constFind(port); it != m_http.cend() && it.key() == port; ++it)
        if (it.value()->peerAddress().isEqual(peer, QHostAddress::TolerantConversion))
            return it.value();
    return nullptr;
}

void Acceptor::requestHandled(QTcpSocket *socket) {
    if (auto *guard = socket ? socket->findChild<QObject *>(QStringLiteral("streams_http_guard"),
                                                            Qt::FindDirectChildrenOnly)
                             : nullptr)
        static_cast<HttpGuard *>(guard)->handled();
}

} // namespace streams::relay
