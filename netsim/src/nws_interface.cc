#include "netsim/nws_interface.h"

#include "netsim/envelope.h"

namespace renkei::netsim {

NwsInterface::NwsInterface(SimNetwork& network, std::string node)
    : network_(network), node_(std::move(node)) {}

Status NwsInterface::Attach() {
  return network_.AddNode(node_, [this](const Delivery& d) { OnDelivery(d); });
}

void NwsInterface::OnDelivery(const Delivery& d) {
  // Decoding the whole envelope validates the header; the body stays opaque bytes.
  auto envelope = Decode(d.bytes);
  if (!envelope.ok()) {
    ++stats_.undecodable;
    return;
  }
  crypto::Bytes bytes(d.bytes.begin(), d.bytes.end());
  if (network_.Send(node_, envelope->destination, std::move(bytes)).ok()) {
    ++stats_.relayed;
  } else {
    ++stats_.no_route;
  }
}

}  // namespace renkei::netsim
