// Compiles cfmail's non-template code once for the test executable, when the suite is built
// with CFMAIL_SEPARATE_COMPILATION.
#include <cfmail/src.hpp>
