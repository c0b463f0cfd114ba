#pragma once

// Round avatars from profile image URLs, fetched once and shared by every list that shows them.

#include <QHash>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QUrl>

namespace streams::ui {

class AvatarCache : public QObject {
    Q_OBJECT
public:
    explicit AvatarCache(QNetworkAccessManager &network, QObject *parent = nullptr);
    // The avatar at `size` device-independent pixels, or a neutral placeholder while it loads (the
    // `ready` signal says when to repaint).
    QPixmap avatar(const QUrl &url, int size, qreal devicePixelRatio);

Q_SIGNALS:
    void ready(const QUrl &url);

private:
    void fetch(const QUrl &url);
    QNetworkAccessManager &m_network;
    QHash<QUrl, QImage> m_images;
    QHash<QString, QPixmap> m_rounded; // url|size|dpr|loaded → what avatar() returns
    QSet<QUrl> m_loading;
    QSet<QUrl> m_failed;
};

} // namespace streams::ui
