// The one unit that compiles cfmail's non-template code in separate-compilation mode.
#include <cfmail/src.hpp>
