// yajl (Debian: libyajl-dev to build, libyajl2 at run time): the JSON generator and the event (SAX) parser that
// SlotProtocol's JSONWriter and JSONReader wrap for the wire's largest replies.
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
