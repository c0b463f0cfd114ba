#pragma once

// The relay's one listening port. Before any byte is read it peeks at each connection's request head:
// WebSocket upgrades to /ws go, as raw descriptors, to the hub threads (a socket upgraded by Qt HTTP
// Server would stay on this thread); everything else goes to the HTTP server on this thread, guarded
// against oversized bodies and idle or slow connections, which Qt HTTP Server 6.4 does not limit.

#include <QHash>
#include <QHostAddress>
#include <QTcpServer>

#include <functional>

namespace streams::relay {

class Hub;

struct AcceptorLimits {
    qsizetype maxBody = 64 * 1024;
    qsizetype maxHead = 16 * 1024;
    int headTimeoutMs = 10000; // first byte of a request to its complete head
    int idleTimeoutMs = 30000; // keep-alive connection with nothing to do
};

class Acceptor : public QTcpServer {
    Q_OBJECT
public:
    Acceptor(Hub &hub, AcceptorLimits limits, QObject *parent = nullptr);
    // Called by the HTTP server when a request on `socket` has been handled (restarts its timers).
    static void requestHandled(QTcpSocket *socket);
    // The HTTP connection this acceptor handed over for a peer (address, port); null once it is gone.
    QTcpSocket *httpConnection(const QHostAddress &peer, quint16 port) const;
    void setAccepting(bool accepting) { m_accepting = accepting; }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    void dispatch(qintptr descriptor, const QByteArray &head, const QString &peer);
    void handToHttp(qintptr descriptor);

    Hub &m_hub;
    AcceptorLimits m_limits;
    bool m_accepting = true;
    QMultiHash<quint16, QTcpSocket *> m_http; // by peer port; removed when a socket is destroyed
};

// The parts of a request head the acceptor decides on.
struct RequestHead {
    QByteArray method;
    QByteArray path;
    bool upgradeWebSocket = false;
    qint64 contentLength = -1;
    bool chunked = false;
    static std::optional<RequestHead> parse(const QByteArray &head);
};

} // namespace streams::relay
