package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where a subnet's active 0.0.0.0/0 route leads, as {@link ssmreach.subnet.Reachability} decides. */
public enum Route {
    /** To an internet gateway: a way out for instances with a public IPv4 address. */
    @JsonProperty("public") PUBLIC,
    /** To NAT, transit gateway, NAT instance or ENI, VGW, Gateway Load Balancer endpoint, carrier or local gateway, core network. */
    @JsonProperty("egress") EGRESS,
    /** No IPv4 way out: no 0.0.0.0/0 route, a blackhole, a peering connection, or no IPv4 block at all. */
    @JsonProperty("isolated") ISOLATED
}
