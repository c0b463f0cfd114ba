#include "avatarcache.h"

#include <QBuffer>
#include <QImageReader>
#include <QNetworkReply>
#include <QPainter>
#include <QPainterPath>

namespace streams::ui {

AvatarCache::AvatarCache(QNetworkAccessManager &network, QObject *parent)
    : QObject(parent)
    , m_network(network) {}

QPixmap AvatarCache::avatar(const QUrl &url, int size, qreal dpr) {
    const auto it = m_images.constFind(url);
    const bool loaded = it != m_images.cend();
    if (!loaded && url.isValid() && !m_loading.contains(url) && !m_failed.contains(url))
        fetch(url);
    // Rows repaint often: each round avatar is drawn once per size and kept.
    const QString key = QStringLiteral("%1|%2|%3|%4").arg(url.toString()).arg(size).arg(dpr).arg(loaded);
    if (const auto done = m_rounded.constFind(key); done != m_rounded.cend())
        return *done;
    QPixmap out(QSize(size, size) * dpr);
    out.setDevicePixelRatio(dpr);
    out.fill(Qt::transparent);
    QPainter p(&out);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    QPainterPath circle;
    circle.addEllipse(QRectF(0, 0, size, size));
    if (loaded) {
        p.setClipPath(circle);
        p.drawImage(QRectF(0, 0, size, size), *it);
    } else {
        p.fillPath(circle, QColor(128, 128, 128, 70)); // placeholder until it arrives
    }
    p.end();
    m_rounded.insert(key, out);
    return out;
}

void AvatarCache::fetch(const QUrl &url) {
    m_loading.insert(url);
    QNetworkRequest request(url);
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, url] {
        reply->deleteLater();
        m_loading.remove(url);
        QByteArray data = reply->read(2 * 1024 * 1024); // an avatar, not a movie
        QBuffer buffer(&data);
        QImageReader reader(&buffer);
        reader.setScaledSize(QSize(128, 128)); // sharp at 2x for 64-pixel avatars; SVGs render at this size
        QImage image = reader.read();
        if (reply->error() != QNetworkReply::NoError || image.isNull()) {
            m_failed.insert(url); // keep the placeholder; no retry storm
            return;
        }
        m_images.insert(url, image);
        Q_EMIT ready(url);
    });
}

} // namespace streams::ui
