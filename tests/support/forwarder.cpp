#include "forwarder.h"

#include <QTcpSocket>

#include <algorithm>

namespace streams::test {

struct Forwarder::Pipe {
    quint64 id = 0;
    QTcpSocket *client = nullptr;
    QTcpSocket *server = nullptr;
    QByteArray unparsed; // from the client, not yet a whole request head
    qint64 bodyLeft = 0; // body bytes of the current request still to pass
    bool raw = false;    // upgraded (WebSocket): everything passes unchanged
    QByteArray toServer; // waiting for the server's connection or a release
    QByteArray toClient; // waiting for a release
    bool serverUp = false;
    bool clientGone = false;
    bool serverGone = false;
    ~Pipe() {
        client->deleteLater();
        server->deleteLater();
    }
};

Forwarder::Forwarder(const QUrl &target, QObject *parent)
    : QObject(parent)
    , m_target(target) {
    connect(&m_server, &QTcpServer::newConnection, this, &Forwarder::accept);
}

Forwarder::~Forwarder() {
    for (const auto &pipe : m_pipes) {
        pipe->client->abort();
        pipe->server->abort();
    }
}

bool Forwarder::listen() {
    if (!m_server.listen(QHostAddress::LocalHost, m_port))
        return false;
    m_port = m_server.serverPort();
    return true;
}

QUrl Forwarder::url() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

bool Forwarder::setReachable(bool reachable) {
    if (reachable)
        return m_server.isListening() || listen();
    m_server.close();
    auto pipes = std::exchange(m_pipes, {});
    for (const auto &pipe : pipes) {
        pipe->client->abort();
        pipe->server->abort();
    }
    return true;
}

void Forwarder::hold(bool toServer, bool toClient) {
    m_holdToServer = toServer;
    m_holdToClient = toClient;
}

void Forwarder::release() {
    m_holdToServer = m_holdToClient = false;
    std::vector<Pipe *> pipes;
    for (const auto &pipe : m_pipes)
        pipes.push_back(pipe.get());
    for (Pipe *pipe : pipes)
        flush(pipe); // may finish (and free) only this pipe
}

QByteArray Forwarder::heldForClients() const {
    QByteArray all;
    for (const auto &pipe : m_pipes)
        all += pipe->toClient;
    return all;
}

Forwarder::Pipe *Forwarder::find(quint64 id) const {
    for (const auto &pipe : m_pipes)
        if (pipe->id == id)
            return pipe.get();
    return nullptr; // gone since the signal was queued
}

int Forwarder::webSockets() const {
    return int(std::count_if(m_pipes.begin(), m_pipes.end(), [](const auto &pipe) { return pipe->raw; }));
}

void Forwarder::accept() {
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        auto pipe = std::make_unique<Pipe>();
        const quint64 id = pipe->id = ++m_nextId;
        pipe->client = client;
        client->setParent(nullptr);
        pipe->server = new QTcpSocket;
        connect(client, &QTcpSocket::readyRead, this, [this, id] {
            if (Pipe *p = find(id))
                fromClient(p);
        });
        connect(pipe->server, &QTcpSocket::readyRead, this, [this, id] {
            if (Pipe *p = find(id))
                fromServer(p);
        });
        connect(pipe->server, &QTcpSocket::connected, this, [this, id] {
            if (Pipe *p = find(id)) {
                p->serverUp = true;
                flush(p);
            }
        });
        // Queued: disconnectFromHost() can emit at once, inside flush().
        connect(
            client, &QTcpSocket::disconnected, this, [this, id] { closed(id, true); }, Qt::QueuedConnection);
        connect(
            pipe->server, &QTcpSocket::disconnected, this, [this, id] { closed(id, false); },
            Qt::QueuedConnection);
        connect(
            pipe->server, &QTcpSocket::errorOccurred, this,
            [this, id](QAbstractSocket::SocketError) {
                if (Pipe *p = find(id); p && !p->serverUp)
                    closed(id, false); // never connected: no disconnected() comes
            },
            Qt::QueuedConnection);
        pipe->server->connectToHost(m_target.host(), quint16(m_target.port()));
        Pipe *raw = pipe.get();
        m_pipes.push_back(std::move(pipe));
        if (client->bytesAvailable() > 0)
            fromClient(raw);
    }
}

void Forwarder::closed(quint64 id, bool clientSide) {
    Pipe *pipe = find(id);
    if (!pipe)
        return;
    if (clientSide) {
        if (pipe->clientGone)
            return;
        take(pipe, pipe->client->readAll());
        pipe->clientGone = true;
    } else {
        if (pipe->serverGone)
            return;
        pipe->serverGone = true;
        pipe->toClient += pipe->server->readAll();
    }
    flush(pipe);
}

QByteArray Forwarder::rewrite(Pipe *pipe, QByteArray head, bool *refused) {
    *refused = false;
    const qsizetype lineEnd = head.indexOf("\r\n");
    const QByteArray line = head.left(lineEnd);
    m_requests.append(line);
    QList<QByteArray> parts = line.split(' ');
    if (parts.size() == 3 && !m_prefix.isEmpty()) {
        QByteArray target = parts[1];
        const bool inside =
            target == m_prefix || target.startsWith(m_prefix + '/') || target.startsWith(m_prefix + '?');
        if (!inside) {
            *refused = true;
            return {};
        }
        target = target.mid(m_prefix.size());
        if (target.isEmpty() || target.startsWith('?'))
            target.prepend('/');
        parts[1] = target;
        head = parts.join(' ') + head.mid(lineEnd);
    }
    for (const QByteArray &header : head.split('\n')) {
        const QByteArray h = header.trimmed().toLower();
        if (h.startsWith("content-length:"))
            pipe->bodyLeft = h.mid(15).trimmed().toLongLong();
        else if (h.startsWith("upgrade:"))
            pipe->raw = true;
    }
    return head;
}

void Forwarder::fromClient(Pipe *pipe) {
    if (take(pipe, pipe->client->readAll()))
        flush(pipe);
}

bool Forwarder::take(Pipe *pipe, const QByteArray &data) {
    if (pipe->raw) {
        pipe->toServer += data;
    } else {
        pipe->unparsed += data;
        while (!pipe->unparsed.isEmpty()) {
            if (pipe->raw || pipe->bodyLeft > 0) {
                const qsizetype n =
                    pipe->raw ? pipe->unparsed.size() : qMin(pipe->bodyLeft, pipe->unparsed.size());
                pipe->toServer += pipe->unparsed.left(n);
                pipe->unparsed.remove(0, n);
                if (!pipe->raw)
                    pipe->bodyLeft -= n;
                continue;
            }
            const qsizetype end = pipe->unparsed.indexOf("\r\n\r\n");
            if (end < 0)
                break;
            bool refused = false;
            const QByteArray head = rewrite(pipe, pipe->unparsed.left(end + 4), &refused);
            pipe->unparsed.remove(0, end + 4);
            if (refused) { // outside the prefix: what a reverse proxy with nothing there answers
                pipe->unparsed.clear();
                pipe->client->write(
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                pipe->client->disconnectFromHost();
                return false;
            }
            pipe->toServer += head;
        }
    }
    return true;
}

void Forwarder::fromServer(Pipe *pipe) {
    pipe->toClient += pipe->server->readAll();
    flush(pipe);
}

void Forwarder::flush(Pipe *pipe) {
    if (!m_holdToServer && pipe->serverUp && !pipe->serverGone && !pipe->toServer.isEmpty())
        pipe->server->write(std::exchange(pipe->toServer, {}));
    if (!m_holdToClient && !pipe->clientGone && !pipe->toClient.isEmpty())
        pipe->client->write(std::exchange(pipe->toClient, {}));
    // A side that closed closes the other once what it sent has been passed on.
    if (pipe->serverGone && (pipe->toClient.isEmpty() || pipe->clientGone))
        pipe->client->disconnectFromHost();
    if (pipe->clientGone && !pipe->serverUp && !pipe->serverGone) {
        pipe->server->abort(); // still connecting: nothing to pass on
        pipe->serverGone = true;
    }
    if (pipe->clientGone && (pipe->toServer.isEmpty() || pipe->serverGone))
        pipe->server->disconnectFromHost();
    if (pipe->clientGone && pipe->serverGone)
        finish(pipe);
}

void Forwarder::finish(Pipe *pipe) {
    for (auto it = m_pipes.begin(); it != m_pipes.end(); ++it)
        if (it->get() == pipe) {
            m_pipes.erase(it);
            return;
        }
}

} // namespace streams::test
