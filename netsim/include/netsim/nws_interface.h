// The NWS interface system (インタフェースシステム): the relay between the bodies'
// intermediate servers and the core, and between two bodies on the query leg.
//
// It reads only the envelope header's destination and forwards the bytes unchanged on its link
// towards that destination: it never parses, stores or alters a body, so it sees no answer's
// content. A message whose header does not decode, or whose destination it has no link to, is
// counted and dropped (the sender's timeout handles it, as on the real network).
//
// Thread safety: none; it runs on its simulation's event loop thread.
#pragma once

#include <cstdint>
#include <string>

#include "netsim/result.h"
#include "netsim/sim_network.h"

namespace renkei::netsim {

struct NwsInterfaceStats {
  uint64_t relayed = 0;
  uint64_t undecodable = 0;
  uint64_t no_route = 0;
};

class NwsInterface {
 public:
  explicit NwsInterface(SimNetwork& network, std::string node = "nws-interface");
  // Adds the relay's node to the network.
  Status Attach();
  const std::string& node() const { return node_; }
  const NwsInterfaceStats& stats() const { return stats_; }

 private:
  void OnDelivery(const Delivery& d);
  SimNetwork& network_;
  std::string node_;
  NwsInterfaceStats stats_;
};

}  // namespace renkei::netsim
