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
    QPixmap out(QSize(size, size) * dpr);
    out.setDevicePixelRatio(dpr);
    out.fill(Qt::transparent);
    QPainter p(&out);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    QPainterPath circle;
    circle.addEllipse(QRectF(0, 0, size, size));
    const auto it = m_images.constFind(url);
    if (it == m_images.cend()) {
        if (url.isValid() && !m_loading.contains(url) && !m_failed.contains(url))
            fetch(url);
        p.fillPath(circle, QColor(128, 128, 128, 70));
        return out;
    }
    p.setClipPath(circle);
    p.drawImage(QRectF(0, 0, size, size), *it);
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
