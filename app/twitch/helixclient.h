#pragma once

// Helix over QNetworkAccessManager: `Client-Id` + `Bearer` on every call, Twitch's Ratelimit-* headers
// honoured (no more calls in flight than the bucket has points; the rest wait for Ratelimit-Reset; a 429
// is retried after the reset, up to three times), 401 raised
// to the auth layer: through the token source (which may renew the token; the call is then retried once)
// and, when that cannot help, through `unauthorized()`.

#include "twitch/helixtypes.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

namespace streams::app {

class HelixClient : public QObject {
    Q_OBJECT
public:
    template <typename T>
    using Callback = std::function<void(HelixResult<T>)>;

    HelixClient(QNetworkAccessManager &network, QUrl base, QString clientId, QObject *parent = nullptr);
    void setToken(const QString &token) { m_token = token; }
    // Where each call gets its token: renew=false before a call, renew=true after a 401. An empty token
    // means "logged out". AuthSession::withToken fits.
    using TokenSource = std::function<void(bool renew, std::function<void(QString token)> use)>;
    void setTokenSource(TokenSource source) { m_tokenSource = std::move(source); }

    // Each call answers `done` unless `context` (whoever asked: a page, a feed) is gone by then, like the
    // context of a Qt connection; a call still waiting for the rate limit is then not even sent.
    void self(QObject *context, Callback<QList<HelixUser>> done);
    void users(const QStringList &ids, const QStringList &logins, QObject *context,
               Callback<QList<HelixUser>> done);
    void searchChannels(const QString &query, int first, QObject *context,
                        Callback<QList<HelixChannel>> done);
    void streams(const QStringList &userIds, QObject *context, Callback<QList<HelixStream>> done);
    void recentFollowers(const QString &broadcasterId, int count, QObject *context,
                         Callback<HelixFollowers> done);
    void followedChannels(const QString &userId, QObject *context,
                          Callback<QList<HelixFollowedChannel>> done);
    // Every page of them (Twitch pages by 100 at most), as one list.
    void moderatedChannels(const QString &userId, QObject *context,
                           Callback<QList<HelixModeratedChannel>> done);
    // A list endpoint is followed through this many pages at most.
    static constexpr int kMaxPages = 50;

    // What Twitch's last answer said about the rate-limit bucket (-1 before the first answer).
    int rateLimitRemaining() const { return m_remaining; }

Q_SIGNALS:
    void unauthorized();

private:
    using Raw = std::function<void(int status, const QByteArray &body)>;
    struct Call {
        QString path;
        QUrlQuery query;
        QPointer<QObject> context;
        Raw done;
        QString token;
        int throttled = 0; // 429s met so far
        bool retried401 = false;
    };
    void get(const QString &path, const QUrlQuery &query, QObject *context, Raw done);
    void run(Call call, bool renewToken = false);
    void enqueue(Call call, bool front = false);
    void dispatch();
    void send(Call call);
    template <typename T>
    void fetch(const QString &path, const QUrlQuery &query, HelixResult<T> (*parse)(const QByteArray &),
               QObject *context, Callback<T> done);
    // The pages of a list, one after the other (each page names the next), answered as one list.
    template <typename T>
    void fetchPages(const QString &path, QUrlQuery query, HelixResult<QList<T>> (*parse)(const QByteArray &),
                    QObject *context, Callback<QList<T>> done, QList<T> sofar = {}, int page = 0);

    QNetworkAccessManager &m_network;
    QUrl m_base;
    QString m_clientId;
    QString m_token;
    TokenSource m_tokenSource;
    int m_remaining = -1; // -1: unknown
    int m_limit = -1;
    qint64 m_resetAt = 0; // epoch seconds
    int m_inFlight = 0;
    QList<Call> m_queue;
    QTimer m_resetTimer;
};

HelixError helixErrorFor(int status, const QByteArray &body);

} // namespace streams::app
