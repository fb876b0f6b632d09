// libzint (Debian's libzint-dev): barcode encoding for exhibit, seal and location labels.
#include <zint.h>
