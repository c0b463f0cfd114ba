#include "twitch/oauthform.h"

#include <QByteArrayList>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace streams::app {

QNetworkReply *postOAuthForm(QNetworkAccessManager &network, const QUrl &authBase, const QString &path,
                             const OAuthForm &form) {
    QUrl url = authBase;
    url.setPath(url.path() + path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    request.setTransferTimeout(15000);
    QByteArrayList pairs;
    for (const auto &[key, value] : form)
        pairs.append(QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value));
    return network.post(request, pairs.join('&'));
}

} // namespace streams::app
