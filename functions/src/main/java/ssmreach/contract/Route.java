package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where a subnet's default route leads. */
public enum Route {
    /** A default route to an internet gateway. */
    @JsonProperty("public") PUBLIC,
    /** No internet gateway, but a default route to NAT, transit gateway, peering, VGW, ENI, ... */
    @JsonProperty("egress") EGRESS,
    /** No default route at all: local routes and gateway endpoints only. */
    @JsonProperty("isolated") ISOLATED
}
