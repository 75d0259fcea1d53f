// placeholder: being written
#include "scenarios/cli.h"
namespace renkei::scenarios {
int RunGen(const std::vector<std::string>&, std::ostream&, std::ostream& err) { err << "not yet\n"; return kExitUsage; }
}
