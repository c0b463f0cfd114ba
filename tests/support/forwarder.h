#pragma once

// A TCP forwarder on 127.0.0.1 in front of one of the real servers, for what a test cannot ask of the
// server itself: being unreachable for a while (connections refused), answers still on their way
// (bytes held, then released), and a reverse proxy that serves the server under a path prefix
// (`/relay/ws` reaches `/ws`, anything outside the prefix is a 404). Plain HTTP/1.1 and WebSocket: request
// heads are read to log and rewrite their targets; bodies and upgraded streams pass unchanged.

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QTcpServer>
#include <QUrl>

#include <memory>

class QTcpSocket;

namespace streams::test {

class Forwarder : public QObject {
public:
    explicit Forwarder(const QUrl &target, QObject *parent = nullptr);
    ~Forwarder() override;

    bool listen(); // on a free port of 127.0.0.1
    QUrl url() const;

    // Requests must start with `prefix` (e.g. "/relay"), which is removed on the way to the server.
    void setPathPrefix(const QByteArray &prefix) { m_prefix = prefix; }
    // Unreachable: the port refuses connections and open ones are reset. Reachable again: the same port.
    bool setReachable(bool reachable);
    // While held, bytes in the chosen directions stay here; release() sends them on, in order.
    void hold(bool toServer = true, bool toClient = true);
    void release();

    // The request line of every request that came in ("GET /relay/ws HTTP/1.1"), before any rewrite.
    QList<QByteArray> requests() const { return m_requests; }
    // What is held on its way to the clients (all connections, in arrival order).
    QByteArray heldForClients() const;
    int connections() const { return int(m_pipes.size()); }
    int webSockets() const; // the open connections that were upgraded

private:
    struct Pipe;
    Pipe *find(quint64 id) const;
    void accept();
    void closed(quint64 id, bool clientSide);
    void fromClient(Pipe *pipe);
    bool take(Pipe *pipe, const QByteArray &data); // false: refused, the client is being closed
    void fromServer(Pipe *pipe);
    void flush(Pipe *pipe);
    void finish(Pipe *pipe);
    QByteArray rewrite(Pipe *pipe, QByteArray head, bool *refused);

    QUrl m_target;
    QTcpServer m_server;
    quint16 m_port = 0;
    QByteArray m_prefix;
    bool m_holdToServer = false;
    bool m_holdToClient = false;
    QList<QByteArray> m_requests;
    std::vector<std::unique_ptr<Pipe>> m_pipes;
    quint64 m_nextId = 0;
};

} // namespace streams::test
