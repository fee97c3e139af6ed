#define BOOST_TEST_MODULE cfmail integration tests
#include <boost/test/unit_test.hpp>
