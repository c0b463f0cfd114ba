#pragma once

// The few Qt HTTP Server calls that changed between Qt 6.4 (Debian 12) and 6.8: one place for both.

#include <QHttpServer>
#include <QHttpServerResponse>
#include <QTcpServer>

namespace twitchsim {

inline void setHeader(QHttpServerResponse &response, const QByteArray &name, const QByteArray &value) {
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    QHttpHeaders headers = response.headers();
    headers.replaceOrAppend(QAnyStringView(name), QAnyStringView(value));
    response.setHeaders(std::move(headers));
#else
    response.setHeader(name, value);
#endif
}

// Every response gets `name: value`.
inline void addHeaderToEveryResponse(QHttpServer &server, const QByteArray &name, const QByteArray &value) {
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    server.addAfterRequestHandler(&server, [name, value](const QHttpServerRequest &, QHttpServerResponse &r) {
        setHeader(r, name, value);
    });
#else
    server.afterRequest([name, value](QHttpServerResponse &&r) {
        setHeader(r, name, value);
        return std::move(r);
    });
#endif
}

// Listens on address:port; the bound port, or 0.
inline quint16 listenOn(QHttpServer &server, const QHostAddress &address, quint16 port) {
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    auto *tcp = new QTcpServer(&server);
    if (!tcp->listen(address, port) || !server.bind(tcp)) {
        delete tcp;
        return 0;
    }
    return tcp->serverPort();
#else
    return server.listen(address, port);
#endif
}

// WebSocket upgrades on `path` become QHttpServer::newWebSocketConnection.
inline void acceptWebSocketsOn(QHttpServer &server, const QString &path) {
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    server.addWebSocketUpgradeVerifier(&server, [path](const QHttpServerRequest &request) {
        return request.url().path() == path ? QHttpServerWebSocketUpgradeResponse::accept()
                                            : QHttpServerWebSocketUpgradeResponse::passToNext();
    });
#else
    // Qt HTTP Server 6.4 upgrades only on a path whose handler takes the responder and writes nothing.
    server.route(path, [](QHttpServerResponder &&) {});
#endif
}

} // namespace twitchsim
