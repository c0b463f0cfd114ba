#include "consent.h"

#include "httpcompat.h"

#include <QUrlQuery>

namespace twitchsim {
namespace {

QString html(const QString &s) {
    return s.toHtmlEscaped();
}

QHttpServerResponse redirect(const QString &location) {
    QHttpServerResponse r(QHttpServerResponder::StatusCode::Found);
    setHeader(r, "Location", location.toUtf8());
    return r;
}

QString formValue(const QString &s) {
    QString v = QUrl::toPercentEncoding(s);
    return v;
}

} // namespace

ConsentPage::ConsentPage(World &world, Tokens &tokens, QStringList redirectUris)
    : m_world(world)
    , m_tokens(tokens)
    , m_redirectUris(std::move(redirectUris)) {}

void ConsentPage::registerRoutes(QHttpServer &server) {
    server.route("/oauth2/authorize", QHttpServerRequest::Method::Get,
                 [this](const QHttpServerRequest &r) { return page(r); });
    server.route("/oauth2/authorize", QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &r) { return decide(r); });
}

std::optional<QHttpServerResponse> ConsentPage::checkRequest(const QUrlQuery &q) const {
    auto problem = [](const QString &text) {
        return QHttpServerResponse(
            "text/html; charset=utf-8",
            QStringLiteral("<!doctype html><title>Error</title><h1>%1</h1>").arg(html(text)).toUtf8(),
            QHttpServerResponder::StatusCode::BadRequest);
    };
    if (q.queryItemValue("client_id") != m_tokens.clientId())
        return problem(QStringLiteral("invalid client"));
    if (!m_redirectUris.contains(q.queryItemValue("redirect_uri", QUrl::FullyDecoded)))
        return problem(QStringLiteral("Parameter redirect_uri does not match registered URI"));
    if (q.queryItemValue("response_type") != u"token")
        return problem(QStringLiteral("unsupported response_type"));
    return std::nullopt;
}

QHttpServerResponse ConsentPage::page(const QHttpServerRequest &request) {
    const QUrlQuery q = request.query();
    if (auto bad = checkRequest(q))
        return std::move(*bad);
    const QString scopes = q.queryItemValue("scope", QUrl::FullyDecoded);
    QString accounts;
    for (const User &u : m_world.users())
        accounts +=
            QStringLiteral("<option value=\"%1\">%2 (%1)</option>").arg(html(u.login), html(u.displayName));
    QString scopeList;
    for (const QString &s : scopes.split(QLatin1Char(' '), Qt::SkipEmptyParts))
        scopeList += QStringLiteral("<li>%1</li>").arg(html(s));
    // The form posts the same query back with the decision (like Twitch's own consent form).
    const QString action = QStringLiteral("/oauth2/authorize?") + request.url().query(QUrl::FullyEncoded);
    const QString body =
        QStringLiteral(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize - twitch-sim</title>"
            "<style>body{font-family:sans-serif;background:#18181b;color:#efeff1;display:flex;justify-"
            "content:center}"
            "main{margin-top:40px;background:#1f1f23;padding:24px 32px;border-radius:8px;width:360px}"
            "button{padding:8px 16px;margin-right:8px;border:0;border-radius:4px;font-size:14px}"
            "#authorize{background:#9147ff;color:white}#cancel{background:#3a3a3d;color:white}</style></"
            "head><body><main>"
            "<h1>twitch-sim</h1><p>An application wants to connect to your account and:</p><ul>%1</ul>"
            "<form method=\"post\" action=\"%2\"><p><label>Log in as <select id=\"login\" "
            "name=\"login\">%3</select>"
            "</label></p><button id=\"authorize\" name=\"decision\" value=\"authorize\">Authorize</button>"
            "<button id=\"cancel\" name=\"decision\" "
            "value=\"cancel\">Cancel</button></form></main></body></html>")
            .arg(scopeList, html(action), accounts);
    return QHttpServerResponse("text/html; charset=utf-8", body.toUtf8());
}

QHttpServerResponse ConsentPage::decide(const QHttpServerRequest &request) {
    const QUrlQuery q = request.query();
    if (auto bad = checkRequest(q))
        return std::move(*bad);
    const QUrlQuery form = formOf(request);
    const QString redirectUri = q.queryItemValue("redirect_uri", QUrl::FullyDecoded);
    const QString state = q.queryItemValue("state", QUrl::FullyDecoded);
    const QString scopes = q.queryItemValue("scope", QUrl::FullyDecoded);
    QString base = redirectUri;
    if (QUrl(base).path().isEmpty())
        base += QLatin1Char('/');
    if (form.queryItemValue("decision") != u"authorize")
        return redirect(
            base +
            QStringLiteral("?error=access_denied&error_description=The+user+denied+you+access&state=") +
            formValue(state));
    const User *u = m_world.userByLogin(form.queryItemValue("login", QUrl::FullyDecoded));
    if (!u)
        u = &m_world.users().first();
    const QString token = m_tokens.issueUser(u->id, scopes.split(QLatin1Char(' '), Qt::SkipEmptyParts));
    QString scopeParam = formValue(scopes);
    scopeParam.replace(QStringLiteral("%20"), QStringLiteral("+"));
    return redirect(base + QStringLiteral("#access_token=%1&scope=%2&state=%3&token_type=bearer")
                               .arg(token, scopeParam, formValue(state)));
}

} // namespace twitchsim
