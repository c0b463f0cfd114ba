#pragma once

// The device code grant, the second way in (public client: no secret). Shows a code and a link, polls at
// Twitch's interval, and yields an access token with a refresh token. refresh() renews a token pair.

#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <functional>

namespace streams::app {

struct TokenPair {
    QString accessToken;
    QString refreshToken;
    int expiresIn = 0;
};

class DeviceFlow : public QObject {
    Q_OBJECT
public:
    DeviceFlow(QNetworkAccessManager &network, QUrl authBase, QString clientId, QStringList scopes,
               QObject *parent = nullptr);
    void start();
    void cancel();

    // Public clients refresh without a secret; the refresh token changes each time: keep the new one.
    struct Renewal {
        std::optional<TokenPair> tokens;
        QString error;
        bool rejected = false; // Twitch said no (the refresh token is dead), not merely unreachable
    };
    // `done` runs unless `context` is gone by then.
    static void refresh(QNetworkAccessManager &network, const QUrl &authBase, const QString &clientId,
                        const QString &refreshToken, QObject *context, std::function<void(Renewal)> done);

Q_SIGNALS:
    void codeReady(const QString &userCode, const QUrl &verificationUri, int expiresInSeconds);
    void succeeded(const streams::app::TokenPair &tokens);
    void failed(const QString &reason);

private:
    void poll();

    QNetworkAccessManager &m_network;
    QUrl m_authBase;
    QString m_clientId;
    QStringList m_scopes;
    QString m_deviceCode;
    QTimer m_poll;
};

} // namespace streams::app

Q_DECLARE_METATYPE(streams::app::TokenPair)
