// placeholder: being written
#include "scenarios/cli.h"
namespace renkei::scenarios {
int RunDemo(const std::vector<std::string>&, std::ostream&, std::ostream& err) { err << "not yet\n"; return kExitUsage; }
}
