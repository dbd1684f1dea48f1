package ssmreach.contract;

import java.util.List;

/** Input of the VPC preparation: the VPC, its CIDR blocks (IPv4 and IPv6), and the run mode. */
public record VpcRequest(String vpcId, List<String> cidrBlocks, boolean dryRun) {
    public VpcRequest {
        cidrBlocks = cidrBlocks == null ? List.of() : List.copyOf(cidrBlocks);
    }
}
