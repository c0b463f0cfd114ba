#pragma once

// Light, dark, or whatever the system uses. Light and dark use the Fusion style with our palettes so they
// look the same everywhere; "system" keeps the platform's own style and colours.

#include "store/settings.h"

namespace streams::ui {

void applyTheme(app::Settings::Theme theme);
// True when the palette in use is dark (for icons and accents that must stay readable).
bool isDarkPalette();

} // namespace streams::ui
