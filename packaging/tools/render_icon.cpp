// render-icon SVG SIZE OUT: the app icon as a PNG for the hicolor theme, or an .ico for Windows (the format
// follows OUT's suffix), rendered at build time, offscreen.

#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char *argv[]) {
    QGuiApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4) {
        std::fprintf(stderr, "usage: render-icon SVG SIZE OUT.png|OUT.ico\n");
        return 2;
    }
    QSvgRenderer svg(args.at(1));
    const int size = args.at(2).toInt();
    if (!svg.isValid() || size <= 0) {
        std::fprintf(stderr, "render-icon: cannot render %s at %s\n", qPrintable(args.at(1)),
                     qPrintable(args.at(2)));
        return 1;
    }
    QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    svg.render(&painter);
    painter.end();
    const QByteArray format = args.at(3).endsWith(QLatin1String(".ico")) ? "ICO" : "PNG";
    if (!image.save(args.at(3), format)) {
        std::fprintf(stderr, "render-icon: cannot write %s\n", qPrintable(args.at(3)));
        return 1;
    }
    return 0;
}
