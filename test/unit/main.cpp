#define BOOST_TEST_MODULE cfmail unit tests
#include <boost/test/unit_test.hpp>
